"""The anonymised export pipeline: pure functions over pandas DataFrames (to come).

Nothing here imports Flask, so the pipeline can be tested on its own.
"""
