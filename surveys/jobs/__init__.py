"""Background jobs: long work started from the admin area (an export, a send of the
follow-ups) runs in a worker process, off the web request, on a Huey task queue.

- `records`: the `jobs` table — a job asked for, claimed, its progress, how it ended.
- `bundles`: where finished export bundles wait for their download, and their cleaning.
- `running`: what a worker does with a job — the same service code the CLI runs.
- `queue`: the queue itself (SQLite by default, Redis when TASK_QUEUE_URL says so), and
  starting or retrying a job.
- `cli`: `flask jobs worker` and `flask jobs clean`.

The task on the queue carries only the job's id and attempt; everything else is read
from the database by the worker, so nothing personal ever sits in the queue.
"""
