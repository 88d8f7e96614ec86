"""Releases by purpose: which columns a release keeps and what detail it values.

A purpose file (YAML, `exports/purposes.yaml` by default) maps a purpose's name to the
columns it needs, a weight per quasi-identifier (how much of its detail the purpose is
willing to give up: low weights first) and the hierarchy each quasi-identifier climbs.
Reading the file checks its shape; `Purpose.check` checks its names against one export's
columns and hierarchies, when those are known.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

DEFAULT_FILE = Path(__file__).with_name("purposes.yaml")
DEFAULT_PURPOSE = "full"
# The hierarchy a quasi-identifier's code list brings with it.
DEFAULT_HIERARCHY = "default"
ALL = "all"
KEYS = {"title", "columns", "exclude", "weights", "hierarchies", "keep"}


class PurposeError(ValueError):
    """A purpose file or a purpose's use is wrong; the message is one sentence."""


@dataclass(frozen=True)
class Purpose:
    name: str
    title: str  # in English, for the command and the release's files
    columns: tuple[str, ...] | None  # None: every exportable column
    exclude: tuple[str, ...] = ()
    weights: Mapping[str, float] = field(default_factory=dict)
    hierarchies: Mapping[str, str] = field(default_factory=dict)
    # quasi-identifier -> the coarsest level the purpose accepts ("original", "year", …)
    keep: Mapping[str, str] = field(default_factory=dict)
    # The title in other languages (a programme's staff pick a purpose in their own).
    titles: Mapping[str, str] = field(default_factory=dict)

    def title_in(self, locale: str) -> str:
        """The title in `locale` ("pt_BR", then "pt"), else in English."""
        return self.titles.get(locale) or self.titles.get(locale.split("_")[0]) or self.title

    def keeps(self, question: str) -> bool:
        if question in self.exclude:
            return False
        return self.columns is None or question in self.columns

    def weight(self, question: str) -> float:
        return float(self.weights.get(question, 1.0))

    def hierarchy(self, question: str) -> str:
        return self.hierarchies.get(question, DEFAULT_HIERARCHY)

    def check(
        self,
        questions: Iterable[str],
        hierarchies: Mapping[str, Iterable[str]],
        known: Iterable[str] | None = None,
    ) -> None:
        """Every name the purpose uses must be a question of some survey (`known`), at
        least one of its columns one of this export's (`questions`), and every hierarchy
        one that its quasi-identifier has. A name of another survey's question is fine:
        one purpose file serves every survey."""
        present = set(questions)
        known = set(known if known is not None else present) | present
        named = [
            *(self.columns or ()),
            *self.exclude,
            *self.weights,
            *self.hierarchies,
            *self.keep,
        ]
        unknown = sorted({name for name in named if name not in known})
        if unknown:
            raise PurposeError(
                f"purpose {self.name!r} names columns no survey has: {', '.join(unknown)}"
            )
        if self.columns is not None and not present & set(self.columns):
            raise PurposeError(
                f"purpose {self.name!r} keeps none of this export's columns "
                "(a follow-up's questions need --with-followups)"
            )
        for question, name in self.hierarchies.items():
            available = {DEFAULT_HIERARCHY, *hierarchies.get(question, ())}
            if question in present and name not in available:
                raise PurposeError(
                    f"purpose {self.name!r}: {question!r} has no hierarchy {name!r} "
                    f"(it has {', '.join(sorted(available))})"
                )


def read(path: str | Path | None = None) -> dict[str, Purpose]:
    """The purposes in a file, by name; PurposeError names the first problem."""
    path = Path(path or DEFAULT_FILE)
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PurposeError(f"cannot read the purpose file {path}: {error.strerror}") from None
    except YAMLError as error:
        raise PurposeError(f"the purpose file {path} is not valid YAML: {error}") from None
    if not isinstance(data, dict) or not data:
        raise PurposeError(f"the purpose file {path} must map purpose names to purposes")
    return {str(name): _purpose(str(name), spec, path) for name, spec in data.items()}


def _purpose(name: str, spec: Any, path: Path) -> Purpose:
    where = f"{path}: purpose {name!r}"
    if not isinstance(spec, dict):
        raise PurposeError(f"{where} must be a mapping with columns, weights and hierarchies")
    extra = sorted(set(spec) - KEYS)
    if extra:
        raise PurposeError(f"{where} has unknown keys {', '.join(extra)}")
    columns = spec.get("columns", ALL)
    if columns != ALL and not _names(columns):
        raise PurposeError(f"{where}: columns must be 'all' or a list of question names")
    exclude = spec.get("exclude", [])
    if not _names(exclude, empty=True):
        raise PurposeError(f"{where}: exclude must be a list of question names")
    weights = spec.get("weights", {})
    if not isinstance(weights, dict) or not all(
        isinstance(w, int | float) and not isinstance(w, bool) and w > 0 for w in weights.values()
    ):
        raise PurposeError(f"{where}: weights must map question names to positive numbers")
    hierarchies = spec.get("hierarchies", {})
    if not isinstance(hierarchies, dict) or not all(
        isinstance(h, str) for h in hierarchies.values()
    ):
        raise PurposeError(f"{where}: hierarchies must map question names to hierarchy names")
    keep = spec.get("keep", {})
    if not isinstance(keep, dict) or not all(isinstance(v, str) for v in keep.values()):
        raise PurposeError(f"{where}: keep must map question names to level names")
    # A title is one text, or one per language like a definition's texts ({en: …, es: …}).
    title = spec.get("title") or name
    titles = title if isinstance(title, dict) else {"en": title}
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in titles.items()):
        raise PurposeError(f"{where}: title must be a text or map languages to texts")
    return Purpose(
        name=name,
        title=titles.get("en") or next(iter(titles.values()), name),
        titles=dict(titles),
        columns=None if columns == ALL else tuple(columns),
        exclude=tuple(exclude),
        weights={str(q): float(w) for q, w in weights.items()},
        hierarchies={str(q): h for q, h in hierarchies.items()},
        keep={str(q): level for q, level in keep.items()},
    )


def _names(value: Any, empty: bool = False) -> bool:
    return (
        isinstance(value, list)
        and (empty or bool(value))
        and all(isinstance(item, str) and item for item in value)
    )
