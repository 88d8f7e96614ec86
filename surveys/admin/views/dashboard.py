"""The outcomes dashboard's routes. The computations (pandas) and charts (matplotlib) live
in `surveys.dashboard` (`sections`, `goals`, `charts`), imported on the first request:
loading them at start-up cost every worker and every `flask` command more than a second."""

from __future__ import annotations

from flask import Response, abort, render_template, request, url_for

from .. import bp


def _dashboard():
    from ...dashboard import sections

    return sections


def _cards():
    from ...dashboard import cards

    return cards


@bp.get("/dashboard")
def dashboard():
    d = _dashboard()
    filters, notices = d.read_filters()
    board = d.dashboard_for(filters)
    args = d.filter_args(filters)
    sections = []
    for key, title in d.SECTIONS:
        tables = []
        for spec in (spec for spec in d.SPECS.values() if spec.section == key):
            table = board.table(spec.name)
            tables.append(
                {
                    "name": spec.name,
                    "title": spec.title,
                    "empty": not d.goals.has_people(table),
                    "table": board.labelled(spec.name),
                    "rates": board.rates(spec) if spec.rate_label else None,
                    "rate_label": spec.rate_label,
                    "counts_people": spec.counts_people,
                    "csv_url": url_for(".dashboard_csv", table=spec.name, **args),
                    "chart_url": url_for(".dashboard_chart", name=spec.name, **args),
                }
            )
        sections.append({"key": key, "title": title, "tables": tables})
    years = sorted({term.end.year for term in d.terms()}, reverse=True)
    return render_template(
        "admin/dashboard.html",
        board=board,
        headline=board.headline(),
        cards=_cards().goal_cards(board),
        goal_rows=board.goal_rows(),
        sections=sections,
        notices=notices,
        filters=filters,
        years=years,
        programmes=d.programmes(),
        terms=d.terms(),
        goal_charts={
            name: url_for(".dashboard_chart", name=name, **args) for name in d.GOAL_CHARTS
        },
    )


@bp.get("/dashboard/chart/<name>.svg")
def dashboard_chart(name: str):
    d = _dashboard()
    if name not in d.SPECS and name not in d.GOAL_CHARTS:
        abort(404)
    filters, _notices = d.read_filters()
    svg = d.dashboard_for(filters).chart_svg(name)
    answer = Response(svg, mimetype="image/svg+xml")
    # Personal to staff, and the numbers move as answers arrive: a short private cache.
    answer.headers["Cache-Control"] = "private, max-age=300"
    return answer


@bp.get("/dashboard.csv")
def dashboard_csv():
    d = _dashboard()
    name = request.args.get("table", "")
    if name not in d.SPECS:
        abort(404)
    filters, _notices = d.read_filters()
    text = d.dashboard_for(filters).csv(name)
    parts = ["dashboard", name, *(str(value) for value in d.filter_args(filters).values())]
    filename = "-".join(part for part in parts if part.replace("-", "").replace("_", "").isalnum())
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )
