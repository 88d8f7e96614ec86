"""A progress bar for long commands, fed with running totals (rows read, rows written)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click


@contextmanager
def progress_bar(length: int, label: str) -> Iterator[Callable[[int], None]]:
    """On stderr, so the command's own output stays clean; yields `advance(total_so_far)`."""
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        shown = 0

        def advance(total: int) -> None:
            nonlocal shown
            bar.update(total - shown)
            shown = total

        yield advance
