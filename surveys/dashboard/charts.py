"""Dashboard charts drawn on the server with matplotlib, as SVG text.

Server-side so the page needs no script and no outside request, and an <img> of our own
origin passes the Content-Security-Policy. A value the table hides is never drawn: its bar
or point is left out, and the table beside the chart says "suppressed".
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# Text stays text (small files, selectable labels); a fixed salt makes the same chart the
# same bytes, so caches and tests can compare them.
SVG_SETTINGS: dict[RcKeyType, str | int] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "pathways",
    "font.size": 9,
}
BAR_COLOUR = "#1d4ed8"
TARGET_COLOUR = "#b42318"
HIDDEN_COLOUR = "#667085"
# Twenty colours and four markers: a region's line must not share its look with another's.
MARKERS = ("o", "s", "^", "D")
WIDTH = 7.0


def render_svg(figure: Figure) -> str:
    """The figure as SVG text, without the creation date (so it is reproducible)."""
    buffer = io.StringIO()
    with matplotlib.rc_context(SVG_SETTINGS):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    value_label: str,
    target: float | None = None,
    target_label: str = "",
    percent: bool = False,
    horizontal: bool = False,
    hidden_label: str = "",
) -> str:
    """One bar per label; a None value (hidden or not computable) gets no bar, but its label
    stays on the axis and `hidden_label` is written where the bar would start, so a gap is
    not read as zero. `target` is drawn as a line."""
    with matplotlib.rc_context(SVG_SETTINGS):
        height = max(2.5, 0.3 * len(labels) + 1) if horizontal else 3.2
        figure = Figure(figsize=(WIDTH, height))
        axes = figure.subplots()
        positions = range(len(labels))
        drawn = [(i, v) for i, v in zip(positions, values, strict=True) if v is not None]
        xs, heights = [i for i, _ in drawn], [v for _, v in drawn]
        value_axis: Axis
        if horizontal:
            bars = axes.barh(xs, heights, color=BAR_COLOUR)
            axes.set_yticks(list(positions), [str(label) for label in labels])
            axes.invert_yaxis()
            value_axis = axes.xaxis
            axes.set_xlabel(value_label)
        else:
            bars = axes.bar(xs, heights, color=BAR_COLOUR)
            axes.set_xticks(list(positions), [str(label) for label in labels])
            value_axis = axes.yaxis
            axes.set_ylabel(value_label)
        for position, patch in zip(xs, bars, strict=True):
            patch.set_gid(f"bar-{position}")  # names what is drawn, for tests and readers
        for position, value in zip(positions, values, strict=True):
            if value is None and hidden_label:
                place = (0, position) if horizontal else (position, 0)
                axes.annotate(
                    hidden_label,
                    place,
                    xytext=(3, 0) if horizontal else (0, 3),
                    textcoords="offset points",
                    rotation=0 if horizontal else 90,
                    ha="left" if horizontal else "center",
                    va="center" if horizontal else "bottom",
                    color=HIDDEN_COLOUR,
                    fontstyle="italic",
                )
        if target is not None:
            line = axes.axvline if horizontal else axes.axhline
            line(target, color=TARGET_COLOUR, linestyle="--", label=target_label)
            axes.legend(loc="best", frameon=False)
        if percent:
            value_axis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
        axes.set_title(title)
        axes.spines[["top", "right"]].set_visible(False)
        return render_svg(figure)


def trend_chart(
    columns: Sequence[str],
    series: Mapping[str, Mapping[int, float]],
    *,
    title: str,
    value_label: str,
) -> str:
    """Shares across years, one line per category. `series` maps a category's label to
    {column position: share}; a missing position (hidden) leaves a gap in the line, and a
    category with no showable share other than 0 gets no line (the table lists it)."""
    with matplotlib.rc_context(SVG_SETTINGS):
        figure = Figure(figsize=(WIDTH, 3.8))
        axes = figure.subplots()
        colours = matplotlib.color_sequences["tab20"]
        drawn = [(label, points) for label, points in series.items() if any(points.values())]
        for n, (label, points) in enumerate(drawn):
            ys = [points.get(position, float("nan")) for position in range(len(columns))]
            axes.plot(
                range(len(columns)),
                ys,
                marker=MARKERS[n % len(MARKERS)],
                color=colours[n % len(colours)],
                label=label,
            )
        axes.set_xticks(range(len(columns)), [str(column) for column in columns])
        axes.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
        axes.set_ylabel(value_label)
        axes.set_title(title)
        axes.spines[["top", "right"]].set_visible(False)
        if axes.get_legend_handles_labels()[0]:
            axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        return render_svg(figure)
