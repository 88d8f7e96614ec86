"""Follow-ups end to end: schedule, send to a real SMTP server, follow the link, answer.

Dates are relative to the real today, because a personal link expires by the real
calendar; `--today` moves the commands' own clock as an operator would.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.followups import mail
from surveys.followups.sending import Clock, SenderBusy, send_due
from surveys.models import Contact, Invitation, Participant, PersonalLink, Response
from tests.conftest import csrf_of
from tests.mailbox import html_of, personal_link, text_of

TODAY = date.today()
YEAR_AGO = TODAY - timedelta(days=366)

ALUMNI = """\
id: alumni
version: 1
title: {en: A year on, es: Un año después, ar: بعد عام}
languages: [en, es, ar]
schedule:
  wave: followup-1y
  from: term_end
  after: 1y
  open_for: 60d
  for: {role: mentee, status: completed}
pages:
  - name: now
    title: {en: Now, es: Ahora, ar: الآن}
    questions:
      - name: still
        type: select_one yn
        label: {en: Still contributing?, es: ¿Sigues contribuyendo?, ar: هل ما زلت تساهم؟}
        required: true
  - name: later
    title: {en: Later, es: Después, ar: لاحقًا}
    questions:
      - name: helped
        type: select_one yn
        label: {en: Did it help?, es: ¿Te ayudó?, ar: هل ساعدك ذلك؟}
choices:
  yn:
    - {code: "yes", label: {en: "Yes", es: "Sí", ar: "نعم"}}
    - {code: "no", label: {en: "No", es: "No", ar: "لا"}}
"""

PEOPLE = """\
email,name,role,language,status
ana@example.org,Ana,mentee,es,completed
bo@example.org,Bo,mentee,,completed
chen@example.org,Chen,mentee,ar,completed
dee@example.org,Dee,mentee,,failed
max@example.org,Max,mentor,,completed
"""


@pytest.fixture
def cohort(app, runner, make_survey, tmp_path):
    """Last year's term: ended a year and a day ago, so the 1-year follow-up is due."""
    make_survey(ALUMNI)
    path = tmp_path / "cohort.csv"
    path.write_text(PEOPLE)

    def load(text: str = PEOPLE, end: date = YEAR_AGO, term: str = "2025"):
        path.write_text(text)
        result = runner.invoke(
            args=[
                "participants",
                "import",
                str(path),
                "--programme",
                "Google Summer of Code",
                "--term",
                term,
                "--term-end",
                end.isoformat(),
            ]
        )
        assert result.exit_code == 0, result.output

    load()
    return load


def cli(runner, *args):
    return runner.invoke(args=list(args))


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def invitations(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(
                Contact.email,
                Invitation.survey_id,
                Invitation.wave,
                Invitation.due_on,
                Invitation.reminders_sent,
            )
            .join(Participant, Invitation.participant_id == Participant.id)
            .join(Contact, Contact.participant_id == Participant.id)
            .order_by(Contact.email)
        )
        return [tuple(row) for row in rows]


# --- schedule ---------------------------------------------------------------------------


def test_schedule_invites_whom_the_survey_is_for_once(app, runner, cohort):
    result = cli(runner, "followups", "schedule")
    assert result.exit_code == 0, result.output
    assert "alumni (followup-1y): 3 new invitation(s)" in result.output
    due = YEAR_AGO.replace(year=YEAR_AGO.year + 1)
    assert invitations(app) == [
        ("ana@example.org", "alumni", "followup-1y", due, 0),
        ("bo@example.org", "alumni", "followup-1y", due, 0),
        ("chen@example.org", "alumni", "followup-1y", due, 0),
    ]
    again = cli(runner, "followups", "schedule")
    assert "0 invitation(s) created" in again.output
    assert len(invitations(app)) == 3


def test_schedule_waits_for_the_due_day_and_skips_what_expired(app, runner, cohort):
    cohort(PEOPLE.replace("bo@", "late@"), end=TODAY - timedelta(days=300), term="2025b")
    cohort(PEOPLE.replace("bo@", "old@"), end=TODAY - timedelta(days=365 * 2), term="2024")
    cli(runner, "followups", "schedule")
    emails = {row[0] for row in invitations(app)}
    assert "late@example.org" not in emails  # due in about two months
    assert "old@example.org" not in emails  # its link would have closed a year ago
    cli(runner, "followups", "schedule", "--today", day(70))
    assert "late@example.org" in {row[0] for row in invitations(app)}


def test_a_bad_schedule_is_named_by_the_validator(runner, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        ALUMNI.replace("after: 1y", "after: one year").replace("status: completed", "status: done")
    )
    result = cli(runner, "surveys", "validate", str(path))
    assert result.exit_code == 1
    assert (
        "schedule: after must be a duration like 14d, 2w, 6m or 1y, not 'one year'" in result.stderr
    )
    assert (
        "schedule: for: status 'done' is not one of active, completed, failed, withdrawn"
        in result.stderr
    )


# --- send -------------------------------------------------------------------------------


def test_each_alumnus_gets_one_invitation_in_their_language(app, runner, cohort, mailbox):
    cli(runner, "followups", "schedule")
    dry = cli(runner, "followups", "send", "--dry-run")
    assert dry.output.strip() == "would send 3 invitation(s) and 0 reminder(s)"
    assert mailbox.messages == []

    result = cli(runner, "followups", "send")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 3 invitation(s) and 0 reminder(s)"
    assert mailbox.recipients() == ["ana@example.org", "bo@example.org", "chen@example.org"]

    (ana,) = mailbox.to("ana@example.org")
    assert ana["Subject"] == "Google Summer of Code: Un año después"
    assert ana["Content-Language"] == "es"
    assert "Hola, Ana:" in text_of(ana)
    assert personal_link(ana) in html_of(ana)
    assert ana["List-Unsubscribe"].strip().startswith("<http://pathways.test/f/")
    assert ana["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    (bo,) = mailbox.to("bo@example.org")
    assert bo["Subject"] == "Google Summer of Code: A year on"  # no language: the default
    (chen,) = mailbox.to("chen@example.org")
    assert 'dir="rtl"' in html_of(chen) and "بعد عام" in chen["Subject"]

    # Nothing is owed any more: a second run sends nothing.
    assert (
        cli(runner, "followups", "send").output.strip() == "sent 0 invitation(s) and 0 reminder(s)"
    )
    assert len(mailbox.messages) == 3
    # Only hashes of the tokens are stored.
    with app.app_context():
        hashes = db.session.scalars(select(PersonalLink.token_hash)).all()
    token = personal_link(ana).removeprefix("/f/")
    assert len(token) >= 43 and token not in hashes and len(hashes) == 3


def test_the_link_opens_in_their_language_resumes_and_joins_the_answer_to_them(
    app, runner, cohort, mailbox, respondent
):
    cli(runner, "followups", "schedule")
    cli(runner, "followups", "send")
    link = personal_link(mailbox.to("ana@example.org")[0])

    phone = respondent("alumni", base=link)
    page = phone.open()
    assert page.status_code == 200
    assert phone.page.html["lang"] == "es" and "¿Sigues contribuyendo?" in page.text
    phone.post(1, {"still": "yes"})
    assert "¿Te ayudó?" in phone.last.text

    # Later, on a laptop: the same link resumes on page 2, page 1's answer kept.
    laptop = respondent("alumni", base=link)
    assert "¿Te ayudó?" in laptop.open().text
    laptop.post(2, {"helped": "yes"})
    assert laptop.last.status_code == 200 and "Gracias" in laptop.last.text

    with app.app_context():
        response = db.session.scalar(select(Response))
        ana = db.session.scalar(
            select(Participant).join(Contact).where(Contact.email == "ana@example.org")
        )
        assert response.participant_id == ana.id
        assert (response.wave, response.locale) == ("followup-1y", "es")
        assert response.answers == {"still": "yes", "helped": "yes"}
        invitation = db.session.scalar(
            select(Invitation).where(Invitation.participant_id == ana.id)
        )
        assert invitation.opened_at is not None and invitation.completed_at is not None

    # The link now says it was answered; posting again stores nothing.
    assert "Gracias" in respondent("alumni", base=link).open().text
    again = laptop.post(2, {"helped": "no"})
    assert again.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_reminders_follow_until_they_answer(app, runner, cohort, mailbox, respondent):
    cli(runner, "followups", "schedule")
    cli(runner, "followups", "send")
    ana_link = personal_link(mailbox.to("ana@example.org")[0])
    person = respondent("alumni", base=ana_link)
    person.post(1, {"still": "no"})
    person.post(2, {})

    assert (
        cli(runner, "followups", "send", "--today", day(13))
        .output.strip()
        .startswith("sent 0 invitation(s) and 0 reminder(s)")
    )
    dry = cli(runner, "followups", "send", "--dry-run", "--today", day(14))
    assert dry.output.strip() == "would send 0 invitation(s) and 2 reminder(s)"
    first = cli(runner, "followups", "send", "--today", day(14))
    assert first.output.strip() == "sent 0 invitation(s) and 2 reminder(s)"
    assert (
        cli(runner, "followups", "send", "--today", day(14))
        .output.strip()
        .endswith("0 reminder(s)")
    )
    second = cli(runner, "followups", "send", "--today", day(28))
    assert second.output.strip() == "sent 0 invitation(s) and 2 reminder(s)"
    assert (
        cli(runner, "followups", "send", "--today", day(50))
        .output.strip()
        .endswith("0 reminder(s)")
    )

    assert len(mailbox.to("ana@example.org")) == 1
    bo = mailbox.to("bo@example.org")
    assert len(bo) == 3 and bo[1]["Subject"] == "Reminder: A year on"
    # Every message carries a working link of its own.
    links = {personal_link(m) for m in bo}
    assert len(links) == 3
    for link in links:
        assert respondent("alumni", base=link).open().status_code == 200


def test_an_smtp_failure_halfway_loses_nothing_and_a_rerun_sends_no_duplicate(
    app, runner, cohort, mailbox
):
    cli(runner, "followups", "schedule")
    mailbox.refuse_after = 1
    result = cli(runner, "followups", "send")
    assert result.exit_code == 1
    assert "the mail server stopped taking messages" in result.stderr
    assert len(mailbox.messages) == 1

    mailbox.refuse_after = None
    rerun = cli(runner, "followups", "send")
    assert rerun.exit_code == 0, rerun.output
    assert rerun.output.strip() == "sent 2 invitation(s) and 0 reminder(s)"
    assert mailbox.recipients() == ["ana@example.org", "bo@example.org", "chen@example.org"]


def test_a_refused_address_is_reported_and_the_others_are_sent(app, runner, cohort, mailbox):
    cli(runner, "followups", "schedule")
    mailbox.refuse_recipients = {"bo@example.org"}
    result = cli(runner, "followups", "send")
    assert result.exit_code == 1
    assert "sent 2 invitation(s) and 0 reminder(s); 1 not sent" in result.stdout
    assert "not sent: the mail server refused the address (550)" in result.stderr
    assert "bo@" not in result.output
    for _attempt in range(3):
        cli(runner, "followups", "send")
    # After three refusals the invitation is left alone instead of failing every run.
    assert cli(runner, "followups", "send").exit_code == 0
    assert mailbox.recipients() == ["ana@example.org", "chen@example.org"]


def import_alumni(runner, tmp_path, *emails: str) -> None:
    """Completed mentees, in this order, of a term that ended a year ago; then schedule."""
    path = tmp_path / "alumni.csv"
    path.write_text("email,status\n" + "".join(f"{e},completed\n" for e in emails))
    result = cli(
        runner,
        *("participants", "import", str(path), "--programme", "gsoc", "--term", "2025"),
        *("--term-end", YEAR_AGO.isoformat()),
    )
    assert result.exit_code == 0, result.output
    assert "3 new invitation(s)" in cli(runner, "followups", "schedule").output


def no_smtputf8(mailbox, monkeypatch) -> str:
    mailbox.smtputf8 = False
    return "josé@example.org"


def mailbox_full(mailbox, monkeypatch) -> str:
    mailbox.reject_data_for = {"full@example.org"}
    return "full@example.org"


def unbuildable(mailbox, monkeypatch) -> str:
    compose = mail.compose

    def compose_or_fail(letter, settings):
        if letter.to_email == "odd@example.org":
            raise ValueError("odd@example.org broke a template")
        return compose(letter, settings)

    monkeypatch.setattr(mail, "compose", compose_or_fail)
    return "odd@example.org"


@pytest.mark.parametrize("poison", [no_smtputf8, mailbox_full, unbuildable])
def test_one_message_that_fails_is_recorded_and_the_others_are_sent(
    app, runner, make_survey, tmp_path, mailbox, monkeypatch, poison
):
    make_survey(ALUMNI)
    address = poison(mailbox, monkeypatch)
    import_alumni(runner, tmp_path, "ana@example.org", address, "chen@example.org")
    result = cli(runner, "followups", "send")
    assert result.exit_code == 1
    assert mailbox.envelope_recipients() == ["ana@example.org", "chen@example.org"]
    assert "sent 2 invitation(s) and 0 reminder(s); 1 not sent" in result.stdout
    (line,) = [line for line in result.stderr.splitlines() if "not sent" in line]
    assert line.startswith("invitation ") and "(alumni, followup-1y)" in line
    # The failure names the invitation, never the person.
    assert address.split("@")[0] not in result.output
    with app.app_context():
        failed = db.session.scalar(
            select(Invitation).join(Participant).join(Contact).where(Contact.email == address)
        )
        assert (failed.sent_at, failed.send_failures) == (None, 1)
    # The next run tries it again, and sends nothing twice.
    assert cli(runner, "followups", "send").exit_code == 1
    assert mailbox.envelope_recipients() == ["ana@example.org", "chen@example.org"]


def test_an_international_address_is_delivered_with_smtputf8(
    app, runner, make_survey, tmp_path, mailbox
):
    make_survey(ALUMNI)
    import_alumni(runner, tmp_path, "josé@example.org", "用户@例子.广告", "ana@bücher.example")
    result = cli(runner, "followups", "send")
    assert result.exit_code == 0, result.output
    # What the server was given at RCPT TO, and the To header it received.
    assert mailbox.envelope_recipients() == [
        "ana@xn--bcher-kva.example",  # an international domain alone needs no SMTPUTF8
        "josé@example.org",
        "用户@例子.广告",
    ]
    assert [utf8 for _, (to,), utf8 in sorted(mailbox.envelopes, key=lambda e: e[1])] == [
        False,
        True,
        True,
    ]
    assert mailbox.recipients() == mailbox.envelope_recipients()


def test_an_international_domain_is_sent_where_smtputf8_is_not_offered(
    app, runner, make_survey, tmp_path, mailbox
):
    mailbox.smtputf8 = False
    make_survey(ALUMNI)
    import_alumni(runner, tmp_path, "ana@bücher.example", "bo@例子.广告", "chen@example.org")
    result = cli(runner, "followups", "send")
    assert result.exit_code == 0, result.output
    assert mailbox.envelope_recipients() == [
        "ana@xn--bcher-kva.example",
        "bo@xn--fsqu00a.xn--4rr70v",
        "chen@example.org",
    ]


def test_send_now_reports_a_failed_message_instead_of_failing(
    app, runner, make_survey, tmp_path, mailbox, signed_in
):
    mailbox.smtputf8 = False
    make_survey(ALUMNI)
    import_alumni(runner, tmp_path, "ana@example.org", "josé@example.org", "chen@example.org")
    admin = signed_in("admin")
    token = csrf_of(admin.get("/admin/followups").text)
    page = admin.post("/admin/followups/send", data={"csrf_token": token}, follow_redirects=True)
    assert page.status_code == 200
    assert "2 invitations sent, 0 reminders sent; 1 message not sent." in page.text
    assert mailbox.envelope_recipients() == ["ana@example.org", "chen@example.org"]


def test_an_unreachable_mail_server_changes_nothing(app, runner, cohort, mailbox):
    cli(runner, "followups", "schedule")
    app.config["PATHWAYS"].mail.port = 1  # nothing listens there
    result = cli(runner, "followups", "send")
    assert result.exit_code == 1
    assert "cannot reach the mail server 127.0.0.1:1" in result.stderr
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PersonalLink)) == 0


def test_two_senders_at_once_never_send_a_message_twice(app, runner, cohort, mailbox):
    many = "email,name,role,language,status\n" + "".join(
        f"p{i}@example.org,P{i},mentee,,completed\n" for i in range(24)
    )
    cohort(many, term="big")
    cli(runner, "followups", "schedule")
    mailbox.delay = 0.01  # each message takes a moment, so the two runs overlap
    outcomes: list = []

    def sender():
        with app.app_context():
            try:
                outcomes.append(send_due(Clock(TODAY)).total)
            except SenderBusy:
                outcomes.append("busy")

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recipients = mailbox.recipients()
    assert len(recipients) == 27 and len(set(recipients)) == 27
    if db_dialect(app) == "sqlite":
        assert sorted(outcomes, key=str) == [27, "busy"]
    else:
        assert sum(outcomes) == 27


def db_dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


def test_send_needs_public_url_in_production(app, runner, cohort, mailbox):
    app.config["PATHWAYS"].public_url = None
    app.config["PATHWAYS"].environment = "production"
    cli(runner, "followups", "schedule")
    result = cli(runner, "followups", "send")
    assert result.exit_code == 1
    assert "PUBLIC_URL must be set" in result.output
    assert mailbox.messages == []


# --- the personal link's other answers ---------------------------------------------------


def test_an_unknown_token_is_a_plain_404(app, runner, cohort, client):
    unknown = client.get("/f/" + "A" * 43)
    nothing = client.get("/s/no-such-survey")
    assert unknown.status_code == 404
    assert unknown.text == nothing.text


def test_an_expired_link_says_so_and_whom_to_ask(app, runner, cohort, mailbox, client):
    cli(runner, "followups", "schedule")
    cli(runner, "followups", "send")
    link = personal_link(mailbox.to("bo@example.org")[0])
    with app.app_context():
        for invitation in db.session.scalars(select(Invitation)):
            invitation.expires_on = TODAY
        db.session.commit()
    page = client.get(link)
    assert page.status_code == 410
    assert "This link has expired" in page.text and "surveys@pathways.test" in page.text


def test_guessing_tokens_is_rate_limited_but_real_links_are_not(app, runner, cohort, mailbox):
    cli(runner, "followups", "schedule")
    cli(runner, "followups", "send")
    link = personal_link(mailbox.to("bo@example.org")[0])
    alumna = app.test_client()
    for _ in range(40):
        assert alumna.get(link, environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200
    guesser = app.test_client()
    statuses = [
        guesser.get(f"/f/guess{i:040d}", environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code
        for i in range(31)
    ]
    assert statuses[:30] == [404] * 30 and statuses[30] == 429
    assert alumna.get(link, environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200


def test_opt_out_stops_the_reminders(app, runner, cohort, mailbox, client):
    cli(runner, "followups", "schedule")
    cli(runner, "followups", "send")
    link = personal_link(mailbox.to("bo@example.org")[0])
    page = client.get(f"{link}/opt-out")
    assert page.status_code == 200 and "Stop sending me emails" in page.text
    done = client.post(f"{link}/opt-out", data={"choice": "stop_mail"})
    assert done.status_code == 200 and "You will get no more emails" in done.text
    # Coming back to the page says it is done instead of asking again.
    again = client.get(f"{link}/opt-out")
    assert "You will get no more emails" in again.text and "<button" not in again.text
    cli(runner, "followups", "send", "--today", day(14))
    assert len(mailbox.to("bo@example.org")) == 1
    assert len(mailbox.to("ana@example.org")) == 2


def test_one_click_unsubscribe_from_the_mail_program_works(app, runner, cohort, mailbox, client):
    cli(runner, "followups", "schedule")
    cli(runner, "followups", "send")
    message = mailbox.to("chen@example.org")[0]
    url = message["List-Unsubscribe"].strip().strip("<>").removeprefix("http://pathways.test")
    # RFC 8058: the mail program posts this body, with no page and no CSRF token of ours.
    answer = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    with app.app_context():
        chen = db.session.scalar(
            select(Participant).join(Contact).where(Contact.email == "chen@example.org")
        )
        assert chen.opted_out_at is not None and chen.consent_withdrawn_at is None


def test_who_withdraws_consent_is_never_invited_again(
    app, runner, cohort, mailbox, client, make_survey
):
    cli(runner, "followups", "schedule")
    cli(runner, "followups", "send")
    link = personal_link(mailbox.to("ana@example.org")[0])
    done = client.post(f"{link}/opt-out", data={"choice": "withdraw_consent"})
    assert "retirado" in done.text or "consent" in done.text.lower()
    make_survey(ALUMNI.replace("id: alumni", "id: alumni-2").replace("followup-1y", "extra"))
    result = cli(runner, "followups", "schedule")
    assert "alumni-2 (extra): 2 new invitation(s)" in result.output
    assert "ana@example.org" not in {row[0] for row in invitations(app) if row[2] == "extra"}


# --- the whole path with the bundled surveys ---------------------------------------------


def test_personal_intake_and_followup_join_under_one_participant(
    app, runner, tmp_path, mailbox, respondent
):
    """A mentee gets a personal intake link, answers it, completes the term; a year after
    the term's end the follow-up comes, and both answers carry one participant id."""
    assert cli(runner, "surveys", "load").exit_code == 0
    start, end = TODAY - timedelta(days=5), TODAY + timedelta(days=85)
    path = tmp_path / "term.csv"
    path.write_text("email,name,language\nlia@example.org,Lia,pt-BR\n")
    imported = cli(
        runner,
        "participants",
        "import",
        str(path),
        "--programme",
        "gsoc",
        "--term",
        "2026",
        "--term-start",
        start.isoformat(),
        "--term-end",
        end.isoformat(),
    )
    assert imported.exit_code == 0, imported.output
    assert "intake (intake): 1 new invitation(s)" in cli(runner, "followups", "schedule").output
    cli(runner, "followups", "send")
    (invitation,) = mailbox.to("lia@example.org")
    assert invitation["Content-Language"] == "pt-BR"

    mentee = respondent("intake", base=personal_link(invitation))
    assert "Página 1 de 5" in mentee.open().text
    mentee.post(1, {"consent": "y"})
    # The programme is known already: it comes pre-selected.
    assert mentee.page.find("input", {"name": "programme", "value": "gsoc"}).has_attr("checked")
    mentee.post(2, {"programme": "gsoc"})
    mentee.post(3, {"prior_contributions": "never"})
    mentee.post(4, {"age_range": "18-24"})
    mentee.post(5, {}, action="submit")
    assert "Obrigad" in mentee.last.text

    # The term ends; she completed it. A year later the follow-up is due.
    path.write_text("email,name,language,status\nlia@example.org,Lia,pt-BR,completed\n")
    cli(
        runner,
        "participants",
        "import",
        str(path),
        "--programme",
        "gsoc",
        "--term",
        "2026",
        "--term-end",
        end.isoformat(),
        "--today",
        end.isoformat(),
    )
    a_year_on = (end + timedelta(days=366)).isoformat()
    scheduled = cli(runner, "followups", "schedule", "--today", a_year_on)
    assert "followup-1y (followup-1y): 1 new invitation(s)" in scheduled.output
    cli(runner, "followups", "send", "--today", a_year_on)
    followup = mailbox.to("lia@example.org")[-1]
    alumna = respondent("followup-1y", base=personal_link(followup))
    page = alumna.open()
    assert page.status_code == 200
    assert not {"age_range", "country", "gender"} & set(alumna.questions())
    alumna.post(1, {"still_contributing": ["other_projects"]})  # reveals how often
    alumna.post(1, {"still_contributing": ["other_projects"], "contribution_frequency": "monthly"})
    alumna.post(2, {"occupation": "student"})
    alumna.post(3, {"recommend": "definitely", "mentoring_now": "no"}, action="submit")
    assert "Obrigad" in alumna.last.text

    with app.app_context():
        lia = db.session.scalar(select(Participant))
        assert lia.consent_given_at is not None
        answers = {r.wave: r for r in db.session.scalars(select(Response))}
        assert set(answers) == {"intake", "followup-1y"}
        assert answers["intake"].participant_id == answers["followup-1y"].participant_id == lia.id
        assert answers["intake"].answers["consent"] is True
        assert answers["intake"].answers["programme"] == "gsoc"
        assert answers["followup-1y"].answers["still_contributing"] == ["other_projects"]
