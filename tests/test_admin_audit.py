"""The audit log page: newest first, 50 a page, filtered by action, admins only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import AuditEvent
from tests.test_admin_exports import post_export


def rows(page_text: str) -> list[list[str]]:
    soup = BeautifulSoup(page_text, "html.parser")
    return [
        [cell.get_text(" ", strip=True) for cell in row.select("td")]
        for row in soup.select("table#events tbody tr")
    ]


def add_events(app, count: int, action: str = "export") -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with app.app_context():
        for i in range(count):
            db.session.add(
                AuditEvent(
                    at=start + timedelta(minutes=i),
                    actor="cli:ops",
                    action=action,
                    details={"survey": "intake", "k": 5, "records": i},
                )
            )
        db.session.commit()


def test_sign_ins_are_listed_newest_first(signed_in):
    admin = signed_in("admin")
    admin.get("/admin/")
    page = admin.get("/admin/audit")
    assert page.status_code == 200
    listed = rows(page.text)
    assert [row[1:3] for row in listed] == [["admin@pathways.test", "sign in"]]


def test_details_show_as_key_value_and_the_filter_keeps_one_action(app, signed_in):
    admin = signed_in("admin")
    add_events(app, 2)
    everything = rows(admin.get("/admin/audit").text)
    assert [row[2] for row in everything] == ["sign in", "export", "export"]  # sign-in is today
    exports = rows(admin.get("/admin/audit?action=export").text)
    assert [row[2] for row in exports] == ["export", "export"]
    assert exports[0][3] == "k: 5 records: 1 survey: intake"  # the newest first
    assert rows(admin.get("/admin/audit?action=sign+in").text)[0][1] == "admin@pathways.test"
    assert rows(admin.get("/admin/audit?action=nothing-like-this").text) == [["No events."]]


def test_fifty_a_page(app, signed_in):
    admin = signed_in("admin")
    add_events(app, 60)
    first = admin.get("/admin/audit?action=export")
    assert len(rows(first.text)) == 50 and "Page 1 of 2" in first.text
    second = admin.get("/admin/audit?action=export&page=2")
    assert [row[3].split()[3] for row in rows(second.text)] == [str(i) for i in range(9, -1, -1)]
    for page in ("0", "-3", "x", "99999999999999999999"):
        assert admin.get(f"/admin/audit?page={page}").status_code == 200


def test_analysts_get_403(signed_in):
    assert signed_in("analyst").get("/admin/audit").status_code == 403


def test_an_export_of_every_programme_records_and_shows_no_none(app, runner, signed_in):
    """Options not given (every programme and term, no l) are left out, not "None"."""
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    admin = signed_in("admin")
    # Nobody to export: the job is refused, says why on its page, and is audited.
    started = post_export(admin)
    assert started.status_code == 303
    assert "Nothing exported" in admin.get(started.location).text
    with app.app_context():
        details = db.session.scalar(
            select(AuditEvent.details).where(AuditEvent.action == "export refused")
        )
    assert None not in details.values()
    assert not {"programme", "term", "l"} & set(details)
    (row,) = rows(admin.get("/admin/audit?action=export+refused").text)
    assert "None" not in row[3] and "programme" not in row[3]
    assert "survey: intake" in row[3] and "k: 5" in row[3]


def test_an_entry_written_with_none_shows_without_it(app, signed_in):
    with app.app_context():
        db.session.add(
            AuditEvent(
                actor="cli:ops",
                action="export",
                details={"survey": "intake", "programme": None, "term": None, "k": 5},
            )
        )
        db.session.commit()
    (row,) = rows(signed_in("admin").get("/admin/audit?action=export").text)
    assert row[3] == "k: 5 survey: intake"
