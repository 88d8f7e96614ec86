"""Admin pages for programmes, terms and participants, as an admin uses them."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.models import (
    AuditEvent,
    Contact,
    Erasure,
    Participant,
    Programme,
    StatusChange,
    Term,
)
from tests.conftest import csrf_of

PEOPLE = (
    "email,name,role,status\n"
    "ana@example.org,Ana Souza,mentee,active\n"
    "not-an-address,Bad Row,mentee,active\n"
    "kofi@example.org,Kofi Mensah,mentor,completed\n"
    "lina@example.org,Lina Haddad,mentee,failed\n"
)


@pytest.fixture
def admin(signed_in):
    return signed_in("admin")


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def audit_events(app, action: str) -> list[dict]:
    with app.app_context():
        return list(
            db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == action))
        )


def upload(client, data: str, **fields):
    token = csrf_of(client.get("/admin/participants").text)
    form = {
        "programme": "gsoc",
        "term": "2025",
        "term_end": "2025-09-01",
        "file": (io.BytesIO(data.encode()), "people.csv"),
        **fields,
    }
    form = {"csrf_token": token, **{f"upload-{name}": value for name, value in form.items()}}
    return client.post("/admin/participants/import", data=form, content_type="multipart/form-data")


def participant_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Contact.participant_id).where(Contact.email == email))


def emails_listed(page_text: str) -> list[str]:
    rows = BeautifulSoup(page_text, "html.parser").select("table.data tbody tr")
    return sorted(row.select("td")[1].get_text(strip=True) for row in rows)


# --- programmes and terms ---------------------------------------------------------------


def test_an_admin_adds_a_programme_and_a_term(app, admin):
    token = csrf_of(admin.get("/admin/programmes").text)
    answer = admin.post(
        "/admin/programmes",
        data={"csrf_token": token, "programme-code": "lfx", "programme-name": "LFX Mentorship"},
    )
    assert answer.status_code == 302
    with app.app_context():
        programme = db.session.scalar(select(Programme))
        assert (programme.code, programme.name) == ("lfx", "LFX Mentorship")
        programme_id = programme.id
    answer = admin.post(
        "/admin/programmes/terms",
        data={
            "csrf_token": token,
            "term-programme": programme_id,
            "term-name": "2025 spring",
            "term-start": "2025-03-01",
            "term-end": "2025-05-31",
        },
        follow_redirects=True,
    )
    assert answer.status_code == 200 and "Term 2025 spring added." in answer.text
    with app.app_context():
        term = db.session.scalar(select(Term))
        assert (term.name, term.start, term.end) == (
            "2025 spring",
            date(2025, 3, 1),
            date(2025, 5, 31),
        )
    page = BeautifulSoup(answer.text, "html.parser")
    assert "LFX Mentorship" in page.select_one("h2").get_text()
    assert [td.get_text() for td in page.select("table.data td")][:3] == [
        "2025 spring",
        "2025-03-01",
        "2025-05-31",
    ]


@pytest.mark.parametrize(
    ("code", "name", "message"),
    [
        ("GSoC 2", "Another", "Use lowercase letters, digits and hyphens"),
        ("", "Another", "This field is required."),
        ("gsoc", "Another", "Another programme already has this code or name."),
        ("new", "google summer of code", "Another programme already has this code or name."),
    ],
)
def test_a_bad_programme_is_refused_with_the_reason(app, admin, code, name, message):
    with app.app_context():
        db.session.add(Programme(code="gsoc", name="Google Summer of Code"))
        db.session.commit()
    token = csrf_of(admin.get("/admin/programmes").text)
    answer = admin.post(
        "/admin/programmes",
        data={"csrf_token": token, "programme-code": code, "programme-name": name},
    )
    assert answer.status_code == 422
    assert message in answer.text
    assert count(app, Programme) == 1


@pytest.mark.parametrize(
    ("name", "start", "end", "message"),
    [
        ("2026", "2026-05-01", "2026-04-01", "The last day must come after the first day."),
        ("2025", "", "2025-12-01", "This programme already has a term with this name."),
        ("2026", "", "", "This field is required."),
        ("2026", "", "1st of May", "Not a valid date value."),
    ],
)
def test_a_bad_term_is_refused_with_the_reason(app, admin, name, start, end, message):
    with app.app_context():
        programme = Programme(code="gsoc", name="Google Summer of Code")
        db.session.add(Term(programme=programme, name="2025", end=date(2025, 9, 1)))
        db.session.commit()
        programme_id = programme.id
    token = csrf_of(admin.get("/admin/programmes").text)
    answer = admin.post(
        "/admin/programmes/terms",
        data={
            "csrf_token": token,
            "term-programme": programme_id,
            "term-name": name,
            "term-start": start,
            "term-end": end,
        },
    )
    assert answer.status_code == 422
    assert message in answer.text
    assert count(app, Term) == 1


# --- the CSV import ---------------------------------------------------------------------


def test_an_upload_with_a_bad_row_reports_it_and_imports_the_others(app, admin):
    answer = upload(admin, PEOPLE)
    assert answer.status_code == 422
    report = BeautifulSoup(answer.text, "html.parser").select_one("#import-report")
    assert "3 added, 0 updated, 0 unchanged. 1 bad row(s)" in report.get_text()
    assert [li.get_text() for li in report.select(".problems li")] == [
        "Line 3: the email is not a valid address"
    ]
    with app.app_context():
        emails = db.session.scalars(select(Contact.email).order_by(Contact.email)).all()
        assert emails == ["ana@example.org", "kofi@example.org", "lina@example.org"]
        term = db.session.scalar(select(Term))
        assert (term.programme.code, term.name, term.end) == ("gsoc", "2025", date(2025, 9, 1))
    # The audit log counts what happened; it never holds an address.
    [details] = audit_events(app, "participants import")
    assert details == {"created": 3, "updated": 0, "unchanged": 0, "bad_rows": 1}


def test_uploading_the_same_file_again_changes_nothing(app, admin):
    upload(admin, PEOPLE)
    with app.app_context():
        before = db.session.execute(
            select(Participant.public_id, Participant.status, Participant.status_changed_on)
        ).all()
    answer = upload(admin, PEOPLE)
    assert answer.status_code == 422  # the bad row is still bad
    assert "0 added, 0 updated, 3 unchanged." in answer.text
    good = PEOPLE.replace("not-an-address,Bad Row,mentee,active\n", "")
    answer = upload(admin, good)
    assert answer.status_code == 302
    assert "0 added, 0 updated, 3 unchanged." in admin.get("/admin/participants").text
    with app.app_context():
        after = db.session.execute(
            select(Participant.public_id, Participant.status, Participant.status_changed_on)
        ).all()
    assert sorted(after) == sorted(before)
    # Each of the three joined (active), and two then completed or failed: nothing more.
    assert count(app, StatusChange) == 5


def test_a_refused_file_imports_nothing_and_says_why(app, admin):
    answer = upload(admin, "mail,name\nana@example.org,Ana\n")
    assert answer.status_code == 422
    assert "Nothing was imported: unknown column(s) &#39;mail&#39;" in answer.text
    assert count(app, Participant) == 0
    assert count(app, Programme) == 0  # the programme it named was not kept either


def test_an_upload_without_a_file_or_term_end_is_refused(app, admin):
    token = csrf_of(admin.get("/admin/participants").text)
    answer = admin.post(
        "/admin/participants/import",
        data={
            "csrf_token": token,
            "upload-programme": "gsoc",
            "upload-term": "2025",
            "upload-term_end": "",
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    assert answer.text.count("This field is required.") == 2
    assert count(app, Programme) == 0


# --- finding people ---------------------------------------------------------------------


def test_filters_and_search_find_the_right_people(app, admin):
    upload(admin, PEOPLE)
    upload(admin, "email,name,status\nzoe@example.org,Zoe Lima,failed\n", term="2024")
    everyone = admin.get("/admin/participants")
    assert everyone.status_code == 200
    assert len(emails_listed(everyone.text)) == 4
    failed = admin.get("/admin/participants?status=failed")
    assert emails_listed(failed.text) == ["lina@example.org", "zoe@example.org"]
    with app.app_context():
        term_2025 = db.session.scalar(select(Term.id).where(Term.name == "2025"))
    failed_2025 = admin.get(f"/admin/participants?status=failed&term={term_2025}")
    assert emails_listed(failed_2025.text) == ["lina@example.org"]
    assert emails_listed(admin.get("/admin/participants?role=mentor").text) == ["kofi@example.org"]
    by_name = admin.get("/admin/participants?q=mensah")
    assert emails_listed(by_name.text) == ["kofi@example.org"]
    assert "Kofi Mensah" in by_name.text
    by_email = admin.get("/admin/participants?q=LIMA%40example&programme=gsoc")
    assert emails_listed(by_email.text) == []  # "lima@" is nobody's address
    assert emails_listed(admin.get("/admin/participants?q=zoe%40").text) == ["zoe@example.org"]
    # A wildcard in the search is a character, not a pattern.
    assert emails_listed(admin.get("/admin/participants?q=%25").text) == []


def test_a_bad_filter_is_a_422_with_a_message(admin):
    answer = admin.get("/admin/participants?status=graduated")
    assert answer.status_code == 422
    assert "Not a valid choice." in answer.text


def test_the_list_comes_in_pages_of_fifty(app, admin):
    rows = "".join(f"person{n:03}@example.org\n" for n in range(120))
    upload(admin, "email\n" + rows)
    first = admin.get("/admin/participants")
    assert len(emails_listed(first.text)) == 50
    assert "Page 1 of 3" in first.text
    last = admin.get("/admin/participants?page=3")
    assert emails_listed(last.text)[0] == "person100@example.org"
    assert len(emails_listed(last.text)) == 20


# --- status changes ---------------------------------------------------------------------


def test_a_status_change_records_its_date_and_an_audit_event_without_the_email(app, admin):
    upload(admin, PEOPLE)
    ana = participant_id(app, "ana@example.org")
    token = csrf_of(admin.get("/admin/participants?status=active").text)
    answer = admin.post(
        f"/admin/participants/{ana}/status",
        data={
            "csrf_token": token,
            "status": "withdrawn",
            "on": "2025-06-15",
            "back": "status=active&evil=https://x.example",
        },
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/admin/participants?status=active"
    with app.app_context():
        participant = db.session.get(Participant, ana)
        assert (participant.status, participant.status_changed_on) == (
            "withdrawn",
            date(2025, 6, 15),
        )
        assert [(c.status, c.changed_on) for c in participant.status_changes][-1] == (
            "withdrawn",
            date(2025, 6, 15),
        )
        public_id = participant.public_id
    [details] = audit_events(app, "status change")
    assert details == {"participant": public_id, "status": "withdrawn", "on": "2025-06-15"}
    assert "example.org" not in json.dumps(details)
    listed = admin.get("/admin/participants?q=ana").text
    assert "withdrawn since 2025-06-15" in listed
    # The same status again records nothing more.
    again = admin.post(
        f"/admin/participants/{ana}/status",
        data={"csrf_token": token, "status": "withdrawn", "on": "2025-06-20"},
        follow_redirects=True,
    )
    assert "Nothing changed" in again.text
    assert len(audit_events(app, "status change")) == 1


def test_a_status_change_in_the_future_or_to_nonsense_is_refused(app, admin):
    upload(admin, PEOPLE)
    ana = participant_id(app, "ana@example.org")
    token = csrf_of(admin.get("/admin/participants").text)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    for status, on, message in [
        ("completed", tomorrow, "cannot be dated in the future"),
        ("graduated", "2025-06-15", "Not a valid choice."),
    ]:
        answer = admin.post(
            f"/admin/participants/{ana}/status",
            data={"csrf_token": token, "status": status, "on": on},
        )
        assert answer.status_code == 422 and message in answer.text
    with app.app_context():
        assert db.session.get(Participant, ana).status == "active"
    assert audit_events(app, "status change") == []


def test_a_status_change_for_nobody_is_a_404(admin):
    token = csrf_of(admin.get("/admin/participants").text)
    answer = admin.post(
        "/admin/participants/999/status",
        data={"csrf_token": token, "status": "completed", "on": "2025-06-15"},
    )
    assert answer.status_code == 404


# --- erasure ----------------------------------------------------------------------------


def test_erasure_needs_the_typed_address_then_removes_the_person(app, admin):
    upload(admin, PEOPLE)
    # The same person in a second term is erased too.
    upload(admin, "email,name\nana@example.org,Ana Souza\n", term="2024")
    ana = participant_id(app, "ana@example.org")
    confirm = admin.get(f"/admin/participants/{ana}/erase")
    assert confirm.status_code == 200
    assert "ana@example.org" in confirm.text and "2 participant record(s)" in confirm.text
    token = csrf_of(confirm.text)

    wrong = admin.post(
        f"/admin/participants/{ana}/erase",
        data={"csrf_token": token, "confirm": "kofi@example.org"},
    )
    assert wrong.status_code == 422
    assert "nothing was erased" in wrong.text
    assert count(app, Participant) == 4 and count(app, Erasure) == 0

    right = admin.post(
        f"/admin/participants/{ana}/erase",
        data={"csrf_token": token, "confirm": " Ana@Example.org "},
        follow_redirects=True,
    )
    assert right.status_code == 200
    assert "Erased 2 participant record(s) and 0 response(s)." in right.text
    with app.app_context():
        emails = db.session.scalars(select(Contact.email).order_by(Contact.email)).all()
        assert emails == ["kofi@example.org", "lina@example.org"]
        assert db.session.get(Participant, ana) is None
    assert count(app, Participant) == 2 and count(app, Erasure) == 1
    [details] = audit_events(app, "erasure")
    assert details == {"participants": 2, "responses": 0}
    with app.app_context():
        logged = json.dumps(list(db.session.scalars(select(AuditEvent.details))))
    assert "example.org" not in logged
    assert admin.get(f"/admin/participants/{ana}/erase").status_code == 404


def test_an_empty_confirmation_erases_nothing(app, admin):
    upload(admin, PEOPLE)
    ana = participant_id(app, "ana@example.org")
    token = csrf_of(admin.get(f"/admin/participants/{ana}/erase").text)
    answer = admin.post(
        f"/admin/participants/{ana}/erase", data={"csrf_token": token, "confirm": ""}
    )
    assert answer.status_code == 422
    assert count(app, Participant) == 3


# --- who may ----------------------------------------------------------------------------


def test_analysts_get_403_and_do_not_see_the_menu_entries(app, signed_in, admin):
    upload(admin, PEOPLE)
    ana = participant_id(app, "ana@example.org")
    analyst = signed_in("analyst")
    token = csrf_of(analyst.get("/admin/").text)
    for url in ("/admin/programmes", "/admin/participants", f"/admin/participants/{ana}/erase"):
        assert analyst.get(url).status_code == 403, url
    answer = analyst.post(
        f"/admin/participants/{ana}/erase",
        data={"csrf_token": token, "confirm": "ana@example.org"},
    )
    assert answer.status_code == 403
    assert count(app, Participant) == 3
    home = analyst.get("/admin/").text
    assert "/admin/participants" not in home and "/admin/programmes" not in home


def test_returning_mentees_are_named_in_the_import_report_and_on_the_page(app, admin):
    upload(admin, "email,name\nana@example.org,Ana\n", term="2024", term_end="2024-09-01")
    answer = upload(admin, "email,name\nbob@example.org,Bob\nana@example.org,Ana\n")
    assert answer.status_code == 302
    shown = BeautifulSoup(admin.get("/admin/participants").text, "html.parser")
    flashes = [p.get_text(" ", strip=True) for p in shown.select(".flash")]
    assert any(
        "1 mentee was already a mentee in another programme or term (line 3: gsoc – 2024)" in text
        for text in flashes
    ), flashes
    page = BeautifulSoup(admin.get("/admin/participants").text, "html.parser")
    block = page.select_one("#returning-mentees")
    items = [li.get_text(" ", strip=True) for li in block.select("li")]
    # Each of Ana's two terms names the other; Bob is in neither.
    assert items == [
        "Ana (gsoc – 2025): also a mentee in gsoc – 2024",
        "Ana (gsoc – 2024): also a mentee in gsoc – 2025",
    ]
