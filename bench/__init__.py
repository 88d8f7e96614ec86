"""Load, fault and speed checks of Pathways under gunicorn, run by `make bench`.

Everything runs on loopback against servers the scripts start and stop themselves, with
databases of their own (a SQLite file, or a PostgreSQL database created for the run).
"""
