"""The anonymised export pipeline: pure functions over pandas DataFrames.

Nothing here imports Flask, so the pipeline can be tested on its own. This package's
top level stays light (no pandas), so the web app and CLI start fast. `pipeline` runs the
steps, each in a module of its own: `load` and `flatten` (the flat table), `prepare`,
`coarsen` and `derived` (what leaves, and how coarse), `kanon` (the search, which counts
nodes through `lattice`), `release` (the cells written), `people` (classes, subsets,
pseudonyms), `repeats` (a table per repeat), `tables` and `aggregates` (the summary
tables), `methodology`; then the files, in `writers` and `bundle`, counted and checked
again by `verify`. `definitions` says what the steps read of a survey definition;
`refusals` says why nothing was released, as data that an application can word in its
user's language; `memory` gives what a step freed back to the system before the next.
"""

# The data file formats of a bundle.
FORMATS = ("csv", "xlsx", "parquet", "json", "dta")
