"""Anonymised exports from this database: the service (`run_export`, for the CLI and the
admin page) and the `export` command. The pipeline itself lives in the top-level `exports`
package, which knows nothing of Flask or of this database."""
