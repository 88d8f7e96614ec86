"""Survey definitions: read a file, check it, and return normalised JSON.

A definition file is YAML (see docs/definitions.md). `read_definition` never raises on a
bad file: it returns every problem it found, each naming the file, the place and the line.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .problems import Problem

DEFINITION_SUFFIXES = (".yaml", ".yml")
# A definition is some eight levels deep; far deeper is a file made to exhaust the stack of
# the YAML reader or of whatever walks the data next.
MAX_NESTING = 50
TOO_DEEP = f"the file is nested more than {MAX_NESTING} levels deep"

__all__ = ["Problem", "definition_files", "read_definition"]


def definition_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files named, with each folder replaced by the definition files in it, sorted."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in DEFINITION_SUFFIXES))
        else:
            files.append(path)
    return files


def read_definition(
    path: str | Path, strict: bool = False
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Read and check one definition file; the definition is None when there are problems."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(name, None, "", "no such file")]
    except UnicodeDecodeError:
        return None, [Problem(name, None, "", "the file is not UTF-8 text")]
    except OSError as error:
        return None, [Problem(name, None, "", f"cannot read the file: {error.strerror}")]
    if path.suffix not in DEFINITION_SUFFIXES:
        return None, [Problem(name, None, "", "a definition file must end in .yaml or .yml")]
    # Imported here: the models import this package, and most processes read no file
    # (the checks bring the demographic blocks, their YAML and pycountry).
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from .validator import check_definition

    try:
        data = YAML(typ="rt").load(text)
    except RecursionError:
        # ruamel reads nested collections recursively; its limit is near 250 levels.
        return None, [Problem(name, None, "", TOO_DEEP)]
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        message = " ".join(filter(None, [error.context, error.problem]))
        return None, [Problem(name, line, "", f"YAML syntax: {message}")]
    except YAMLError as error:
        return None, [Problem(name, None, "", f"YAML syntax: {error}")]
    if _deeper_than(data, MAX_NESTING):
        return None, [Problem(name, None, "", TOO_DEEP)]
    return check_definition(data, name, strict=strict, programme_dir=path.parent / "programmes")


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether collections nest more than `limit` levels. Walked without recursion, and a
    collection shared through YAML aliases is walked again only when reached deeper, so a
    "billion laughs" file costs no more than its size."""
    deepest: dict[int, int] = {}
    pending = [(data, 1)]
    while pending:
        node, depth = pending.pop()
        if not isinstance(node, dict | list | tuple) or deepest.get(id(node), 0) >= depth:
            continue
        if depth > limit:
            return True
        deepest[id(node)] = depth
        children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
        pending.extend((child, depth + 1) for child in children)
    return False
