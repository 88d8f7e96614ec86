"""The block library: folders of blocks a survey can include, and reading one block.

A block (`<folder>/<name>.yaml`) is definition data: questions and the choice lists they
use. The library has one folder per kind of block, named in an include by its prefix:
`demographics/NAME` for the demographic blocks (`blocks/`, with code lists and export
hierarchies), `followup/NAME` for the questions every alumni follow-up asks
(`followup_blocks/`), so that their waves share one wording and one set of codes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Shelf:
    """One folder of the library; an include names its blocks as `<prefix>/NAME`."""

    prefix: str
    folder: Path
    # How a problem names its blocks: "no demographic block 'x'".
    noun: str

    def names(self) -> list[str]:
        return sorted(path.stem for path in self.folder.glob("*.yaml"))

    def load(self, name: str) -> dict[str, Any] | None:
        """A fresh copy of a block's data, or None when this folder has no such block.

        Only a name from the folder is looked up, never a path made from the text of an
        include: `../`, `./` or an absolute name can reach no other file, and whether such
        a file exists makes no difference to the answer."""
        if name not in self.names():
            return None
        return copy.deepcopy(_read(self.folder / f"{name}.yaml"))


@cache
def _read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return data


DEMOGRAPHICS = Shelf("demographics", HERE / "blocks", "demographic")
FOLLOWUP = Shelf("followup", HERE / "followup_blocks", "follow-up")
SHELVES = {shelf.prefix: shelf for shelf in (DEMOGRAPHICS, FOLLOWUP)}

BLOCKS_DIR = DEMOGRAPHICS.folder
PREFIX = f"{DEMOGRAPHICS.prefix}/"


def block_names() -> list[str]:
    """The demographic blocks, by name."""
    return DEMOGRAPHICS.names()


def load_block(name: str) -> dict[str, Any] | None:
    """A fresh copy of a demographic block's data, or None when there is no such block."""
    return DEMOGRAPHICS.load(name)
