"""Which demographic blocks each programme's mentees are asked, from the programme files.

A programme's configuration (`programmes/<code>.yaml` beside the survey) lists the
demographic blocks its intake asks; a programme without one asks every block the survey
includes. The choice becomes relevance on the included questions, so every programme
still answers one intake and the answers stay comparable.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from .blocks import block_names

# How the definition reader is told of a problem: place, message, YAML line (or None).
Report = Callable[[str, str, Any], None]


def programme_rules(config_dir: Path, programme_question: str, report: Report) -> dict[str, str]:
    """For each block, the relevance that leaves it out for programmes that do not ask it."""
    excluded: dict[str, list[str]] = {}
    if not config_dir.is_dir():
        return {}
    for path in sorted(config_dir.glob("*.yaml")):
        try:
            config = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
        except Exception as error:  # noqa: BLE001 - any YAML problem is reported as one
            report(f"programme file {path.name}", f"cannot be read: {error}", None)
            continue
        code = config.get("programme") if isinstance(config, dict) else None
        asked = (
            (config.get("intake") or {}).get("demographics") if isinstance(config, dict) else None
        )
        if not isinstance(code, str) or not isinstance(asked, list):
            report(
                f"programme file {path.name}",
                "needs 'programme: CODE' and 'intake: {demographics: [BLOCK, …]}'",
                None,
            )
            continue
        for name in asked:
            if name not in block_names():
                report(f"programme file {path.name}", f"no demographic block {name!r}", None)
        for name in block_names():
            if name not in asked:
                excluded.setdefault(name, []).append(code)
    return {
        name: "not("
        + " or ".join(f"selected(${{{programme_question}}}, '{code}')" for code in codes)
        + ")"
        for name, codes in excluded.items()
    }
