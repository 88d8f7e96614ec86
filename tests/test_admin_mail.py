"""The mail texts in the admin area: the built-in messages in every language, and a
programme's own wording — checked on save, escaped in HTML mail, previewed with a sample
link — which the sender uses for that programme's people only (through real SMTP)."""

from __future__ import annotations

from datetime import timedelta

from bs4 import BeautifulSoup
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.models import AuditEvent, MailText, Programme
from tests.conftest import csrf_of
from tests.mailbox import html_of, personal_link, text_of
from tests.test_followups import PEOPLE, TODAY, cohort  # noqa: F401

OWN_SUBJECT = "{programme} wants to hear from you, {name}"
OWN_BODY = (
    "Hola {name}:\n\nCuéntanos cómo te va: {link}\n\n"
    "Abierto hasta el {expires_on}. <script>alert(1)</script> & más."
)


def gsoc_code(app) -> str:
    with app.app_context():
        return db.session.scalar(
            select(Programme.code).where(Programme.name == "Google Summer of Code")
        )


def stored(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return list(
            db.session.execute(select(MailText.kind, MailText.language, MailText.subject)).all()
        )


def post_wording(client, url: str, action: str, subject: str, body: str, token: str | None = ""):
    if token == "":
        token = csrf_of(client.get(url).text)
    data = {"subject": subject, "body": body, "action": action}
    if token is not None:
        data["csrf_token"] = token
    return client.post(url, data=data)


def problems(page_text: str) -> list[str]:
    soup = BeautifulSoup(page_text, "html.parser")
    return [li.get_text(" ", strip=True) for li in soup.select("[role=alert] .problems li")]


def test_the_built_in_texts_are_shown_in_every_language(app, cohort, signed_in):  # noqa: F811
    page = signed_in("admin").get("/admin/mail")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    spanish = soup.select_one("#built-in-invitation-es")
    assert "Hola, Alex Ejemplo:" in spanish.get_text()
    assert "/f/sample-link-not-a-real-one" in spanish.select_one("pre").get_text()
    reminder = soup.select_one("#built-in-reminder-en")
    assert reminder.select_one(".subject").get_text().startswith("Reminder:")
    arabic = soup.select_one("#built-in-invitation-ar div")
    assert arabic["lang"] == "ar"
    # Each programme links to its own wording.
    assert soup.select_one(f"a[href='/admin/mail/{gsoc_code(app)}']")
    assert signed_in("analyst").get("/admin/mail").status_code == 403


def test_a_wording_without_the_link_is_refused_and_nothing_stored(app, cohort, signed_in):  # noqa: F811
    admin = signed_in("admin")
    url = f"/admin/mail/{gsoc_code(app)}/invitation/es"
    refused = post_wording(admin, url, "save", "Hola", "Hola {name}, contesta por favor.")
    assert refused.status_code == 422
    (problem,) = problems(refused.text)
    assert "{link}" in problem
    # What was typed is still in the form, to be fixed.
    assert "contesta por favor" in refused.text

    for subject, body, expected in [
        ("Hola", "{link} {link.__class__}", "{link.__class__}"),
        ("Hola", "{link} {email}", "{email}"),
        ("Hola", "{link} {", "not closed"),
        ("Hola\nBcc: x@example.org", "{link}", "one line"),
        ("", "{link}", "subject"),
        ("Hola", "{link}\x00", "control character"),
    ]:
        answer = post_wording(admin, url, "save", subject, body)
        assert answer.status_code == 422, (subject, body)
        assert any(expected in p for p in problems(answer.text)), (expected, problems(answer.text))
    # Without the form's CSRF token: refused before anything.
    assert post_wording(admin, url, "save", "Hola", "{link}", token=None).status_code == 400
    assert stored(app) == []


def test_the_preview_fills_in_a_sample_escapes_html_and_stores_nothing(app, cohort, signed_in):  # noqa: F811
    admin = signed_in("admin")
    url = f"/admin/mail/{gsoc_code(app)}/invitation/es"
    answer = post_wording(admin, url, "preview", OWN_SUBJECT, OWN_BODY)
    assert answer.status_code == 200
    preview = BeautifulSoup(answer.text, "html.parser").select_one("#preview")
    assert (
        preview.select_one(".subject").get_text()
        == "Google Summer of Code wants to hear from you, Alex Ejemplo"
    )
    text = preview.select_one("pre").get_text()
    assert text.startswith("Hola Alex Ejemplo:\n\nCuéntanos cómo te va: http")
    assert "/f/sample-link-not-a-real-one" in text
    # The opt-out line is added to every message.
    assert text.rstrip().endswith("/f/sample-link-not-a-real-one/opt-out")
    html = preview.select_one(".mail-html")
    assert html.select_one("a")["href"].endswith("/f/sample-link-not-a-real-one")
    assert "<script>alert(1)</script> & más" in html.get_text()
    assert html.select("script") == []
    assert stored(app) == []


def test_the_programmes_people_get_its_wording_the_others_the_built_in(
    app,
    runner,
    cohort,  # noqa: F811
    mailbox,
    signed_in,
    tmp_path,
):
    # Another programme's alumni, in Spanish too.
    cohort(
        "email,name,role,language,status\nela@example.org,Ela,mentee,es,completed\n",
        term="2025",
    )
    with app.app_context():
        other = Programme(code="outreachy", name="Outreachy")
        db.session.add(other)
        db.session.commit()
    path = tmp_path / "outreachy.csv"
    path.write_text("email,name,role,language,status\nfe@example.org,Fe,mentee,es,completed\n")
    result = runner.invoke(
        args=[
            "participants",
            "import",
            str(path),
            "--programme",
            "outreachy",
            "--term",
            "2025",
            "--term-end",
            (TODAY - timedelta(days=366)).isoformat(),
        ]
    )
    assert result.exit_code == 0, result.output

    admin = signed_in("admin")
    url = f"/admin/mail/{gsoc_code(app)}/invitation/es"
    saved = post_wording(admin, url, "save", OWN_SUBJECT, OWN_BODY)
    assert saved.status_code == 302
    overview = admin.get(f"/admin/mail/{gsoc_code(app)}")
    row = BeautifulSoup(overview.text, "html.parser").select_one("#wording-es")
    assert "own wording" in row.get_text()
    with app.app_context():
        (event,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "mail text saved")
        ).all()
        assert event.actor == "admin@pathways.test"
        assert event.details == {
            "programme": gsoc_code(app),
            "kind": "invitation",
            "language": "es",
        }

    assert runner.invoke(args=["followups", "schedule"]).exit_code == 0
    sent = runner.invoke(args=["followups", "send"])
    assert sent.exit_code == 0, sent.output

    (ana,) = mailbox.to("ana@example.org")  # GSoC, Spanish: the programme's wording
    assert ana["Subject"] == "Google Summer of Code wants to hear from you, Ana"
    ana_text = text_of(ana)
    assert ana_text.startswith("Hola Ana:")
    assert personal_link(ana) in ana_text
    assert "<script>alert(1)</script> & más" in ana_text  # plain text stays as written
    ana_html = html_of(ana)
    assert "<script>" not in ana_html and "&lt;script&gt;alert(1)&lt;/script&gt;" in ana_html
    assert f'href="http://pathways.test{personal_link(ana)}"' in ana_html
    assert "/opt-out" in ana_text and "/opt-out" in ana_html
    assert ana["List-Unsubscribe"].strip().startswith("<http://pathways.test/f/")

    (ela,) = mailbox.to("ela@example.org")  # GSoC too
    assert ela["Subject"] == "Google Summer of Code wants to hear from you, Ela"
    (fe,) = mailbox.to("fe@example.org")  # Outreachy, Spanish: the built-in text
    assert fe["Subject"] == "Outreachy: Un año después"
    assert "Hola, Fe:" in text_of(fe)
    (bo,) = mailbox.to("bo@example.org")  # GSoC in English: no wording in English
    assert bo["Subject"] == "Google Summer of Code: A year on"


def test_removing_a_wording_brings_the_built_in_text_back(app, cohort, signed_in):  # noqa: F811
    admin = signed_in("admin")
    url = f"/admin/mail/{gsoc_code(app)}/reminder/en"
    assert post_wording(admin, url, "save", "Still there, {name}?", "{link}").status_code == 302
    assert stored(app) == [("reminder", "en", "Still there, {name}?")]
    page = admin.get(url)
    assert "Use the built-in text again" in page.text
    assert 'value="Still there, {name}?"' in page.text
    removed = post_wording(admin, url, "remove", "", "")
    assert removed.status_code == 302
    assert stored(app) == []
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("mail text%"))
        ).all()
        assert sorted(actions) == ["mail text removed", "mail text saved"]
        assert db.session.scalar(select(func.count()).select_from(MailText)) == 0
    assert admin.get(f"/admin/mail/{gsoc_code(app)}/other/en").status_code == 404
    assert admin.get(f"/admin/mail/{gsoc_code(app)}/reminder/xx").status_code == 404
    assert admin.get("/admin/mail/nothing/reminder/en").status_code == 404
