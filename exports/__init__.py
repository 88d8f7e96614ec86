"""The anonymised export pipeline: pure functions over pandas DataFrames.

Nothing here imports Flask, so the pipeline can be tested on its own. This package's
top level stays light (no pandas), so the web app and CLI start fast; the steps live in
`flatten`, `kanon`, `pipeline`, `aggregates`, and the files in `writers` and `bundle`.
"""

# The data file formats of a bundle.
FORMATS = ("csv", "xlsx", "parquet", "json", "dta")
