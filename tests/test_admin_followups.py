"""The follow-ups page: where each survey wave stands, and "send now" through real SMTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup
from sqlalchemy import select

from surveys.extensions import db
from surveys.followups.sending import MAX_SEND_FAILURES
from surveys.models import AuditEvent, Contact, Invitation, Participant
from tests.conftest import csrf_of
from tests.test_followups import PEOPLE, TODAY, cohort  # noqa: F401

NOW = datetime.now(UTC)
LONG_AGO = NOW - timedelta(days=100)


def table(page_text: str, table_id: str) -> list[list[str]]:
    soup = BeautifulSoup(page_text, "html.parser")
    return [
        [cell.get_text(strip=True) for cell in row.select("td")]
        for row in soup.select(f"table#{table_id} tbody tr")
    ]


def invitation_of(email: str) -> Invitation:
    return db.session.scalar(
        select(Invitation)
        .join(Participant, Invitation.participant_id == Participant.id)
        .join(Contact, Contact.participant_id == Participant.id)
        .where(Contact.email == email)
    )


def test_counts_per_survey_and_wave(app, runner, cohort, signed_in):  # noqa: F811
    assert runner.invoke(args=["followups", "schedule"]).exit_code == 0
    with app.app_context():
        answered = invitation_of("ana@example.org")
        answered.sent_at = NOW
        answered.opened_at = NOW
        answered.completed_at = NOW
        opted_out = invitation_of("bo@example.org")
        opted_out.sent_at = NOW
        opted_out.opted_out_at = NOW
        # chen@ stays unsent: due. dee@ (failed, so never scheduled) had one that expired.
        dee = db.session.scalar(
            select(Participant).join(Contact).where(Contact.email == "dee@example.org")
        )
        db.session.add(
            Invitation(
                participant_id=dee.id,
                survey_id="alumni",
                wave="followup-1y",
                due_on=TODAY - timedelta(days=100),
                expires_on=TODAY - timedelta(days=40),
                sent_at=LONG_AGO,
            )
        )
        db.session.commit()

    page = signed_in("admin").get("/admin/followups")
    assert page.status_code == 200
    # survey, wave, invitations, due, sent, opened, answered, opted out, expired
    assert table(page.text, "waves") == [
        ["alumni", "followup-1y", "4", "1", "3", "1", "1", "1", "1"]
    ]
    rates = table(page.text, "rates")
    assert rates == [
        [NOW.strftime("%Y-%m"), "alumni", "2", "1", "50%"],
        [LONG_AGO.strftime("%Y-%m"), "alumni", "1", "0", "0%"],
    ]


def test_an_empty_page_says_so(signed_in):
    page = signed_in("admin").get("/admin/followups")
    assert page.status_code == 200
    assert "No invitations yet." in page.text and "Nothing sent yet." in page.text


def send_now(client):
    token = csrf_of(client.get("/admin/followups").text)
    return client.post("/admin/followups/send", data={"csrf_token": token}, follow_redirects=True)


def test_send_now_schedules_and_sends_like_the_cli(app, cohort, mailbox, signed_in):  # noqa: F811
    admin = signed_in("admin")
    page = send_now(admin)
    assert page.status_code == 200
    # The send ran as a job; its page shows the report.
    assert page.request.path.startswith("/admin/jobs/")
    report = BeautifulSoup(page.text, "html.parser").select_one("#report").get_text(strip=True)
    assert report == "3 invitations sent, 0 reminders sent."
    # Worded in its reader's language, with that language's plurals.
    spanish = admin.get(page.request.path, headers={"Accept-Language": "es"}).text
    report = BeautifulSoup(spanish, "html.parser").select_one("#report").get_text(strip=True)
    assert report == "3 invitaciones enviadas, 0 recordatorios enviados."
    assert mailbox.recipients() == ["ana@example.org", "bo@example.org", "chen@example.org"]
    page = admin.get("/admin/followups")
    assert table(page.text, "waves")[0][:5] == ["alumni", "followup-1y", "3", "0", "3"]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "follow-ups sent"))
    assert event.actor == "admin@pathways.test"
    assert event.details == {"invitations": 3, "reminders": 0, "refused": 0}
    # Again: nothing is owed, nothing is sent twice.
    assert "0 invitations sent, 0 reminders sent." in send_now(admin).text
    assert len(mailbox.messages) == 3


def test_an_unreachable_mail_server_is_an_error_message(app, cohort, mailbox, signed_in):  # noqa: F811
    app.config["PATHWAYS"].mail.port = 1  # nothing listens there
    page = send_now(signed_in("admin"))
    assert page.status_code == 200
    flash = BeautifulSoup(page.text, "html.parser").select_one(".flash.error").get_text()
    assert "cannot reach the mail server 127.0.0.1:1" in flash
    assert mailbox.messages == []
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "follow-ups sent" not in actions


def test_send_now_needs_public_url_in_production(app, cohort, mailbox, signed_in):  # noqa: F811
    admin = signed_in("admin")
    app.config["PATHWAYS"].public_url = None
    app.config["PATHWAYS"].environment = "production"
    page = send_now(admin)
    assert page.status_code == 200
    assert "PUBLIC_URL must be set" in page.text
    assert mailbox.messages == []


def test_analysts_may_not_see_or_send(signed_in):
    analyst = signed_in("analyst")
    token = csrf_of(analyst.get("/admin/").text)
    assert analyst.get("/admin/followups").status_code == 403
    assert analyst.post("/admin/followups/send", data={"csrf_token": token}).status_code == 403


def test_due_on_the_page_is_what_send_would_send(app, runner, cohort, signed_in):  # noqa: F811
    """The page's "due" is what `followups send --dry-run` counts: nobody who opted out or
    withdrew consent, no invitation given up after failures, none already answered."""
    cohort(
        PEOPLE + "eve@example.org,Eve,mentee,,completed\nfay@example.org,Fay,mentee,,completed\n"
    )
    assert runner.invoke(args=["followups", "schedule"]).exit_code == 0
    with app.app_context():
        # ana opted out of all mail from an earlier message's link; eve withdrew consent.
        invitation_of("ana@example.org").participant.opted_out_at = NOW
        invitation_of("eve@example.org").participant.consent_withdrawn_at = NOW
        invitation_of("bo@example.org").send_failures = MAX_SEND_FAILURES
        # chen answered a message sent long enough ago that a reminder would be owed.
        answered = invitation_of("chen@example.org")
        answered.sent_at = answered.last_sent_at = NOW - timedelta(days=30)
        answered.completed_at = NOW - timedelta(days=29)
        db.session.commit()

    dry_run = runner.invoke(args=["followups", "send", "--dry-run"])
    assert dry_run.exit_code == 0, dry_run.output
    first, reminders = map(int, re.findall(r"(\d+) (?:invitation|reminder)\(s\)", dry_run.output))
    assert (first, reminders) == (1, 0)  # fay's first message, and nothing else

    page = signed_in("admin").get("/admin/followups")
    # survey, wave, invitations, due, sent, …
    [wave] = table(page.text, "waves")
    assert wave[:5] == ["alumni", "followup-1y", "5", "1", "1"]
    assert int(wave[3]) == first + reminders
