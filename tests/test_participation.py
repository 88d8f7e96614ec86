"""The participation view (issue 18): each invitation's state, the participants page's
"not answered" and "bounced" filters, and "send a reminder now" / "send a fresh link" from
the page and from `flask followups remind`, to a real SMTP server on loopback."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from surveys.extensions import db
from surveys.invitation_states import state_column, state_of
from surveys.models import AuditEvent, Contact, Invitation, Participant
from tests import test_followups
from tests.conftest import csrf_of
from tests.mailbox import personal_link, text_of
from tests.test_followups import TODAY

# Last year's term, whose 1-year follow-up is due (test_followups' fixture).
cohort = test_followups.cohort

NOW = datetime.now(UTC)
DAYS_AGO = NOW - timedelta(days=5)

# One person per state, and how the test puts their invitation in it.
MORE_PEOPLE = """\
email,name,role,language,status
eva@example.org,Eva,mentee,,completed
fay@example.org,Fay,mentee,,completed
gus@example.org,Gus,mentee,,completed
hal@example.org,Hal,mentee,,completed
ida@example.org,Ida,mentee,,completed
jon@example.org,Jon,mentee,,completed
kim@example.org,Kim,mentee,,completed
lou@example.org,Lou,mentee,,completed
moe@example.org,Moe,mentee,,failed
"""
EXPECTED = {
    # cohort's own three stay unsent
    "ana@example.org": "due",
    "bo@example.org": "due",
    "chen@example.org": "due",
    "eva@example.org": "due",
    "fay@example.org": "sent",
    "gus@example.org": "opened",
    "hal@example.org": "answered",
    "ida@example.org": "opted_out",
    "jon@example.org": "opted_out",
    "kim@example.org": "bounced",
    "lou@example.org": "expired",
}
# dee@ (failed), max@ (mentor) and moe@ (failed) have no invitation.


def invitation_of(email: str) -> Invitation:
    return db.session.scalar(
        select(Invitation)
        .join(Participant, Invitation.participant_id == Participant.id)
        .join(Contact, Contact.participant_id == Participant.id)
        .where(Contact.email == email)
    )


def public_id_of(app, email: str) -> str:
    with app.app_context():
        return db.session.scalar(
            select(Participant.public_id).join(Contact).where(Contact.email == email)
        )


def internal_id_of(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Contact.participant_id).where(Contact.email == email))


@pytest.fixture
def states(app, runner, cohort):
    """Every state once (EXPECTED), by setting the invitations' columns by hand."""
    cohort(MORE_PEOPLE, term="2025b")
    assert runner.invoke(args=["followups", "schedule"]).exit_code == 0
    with app.app_context():
        fay = invitation_of("fay@example.org")
        fay.sent_at = fay.last_sent_at = DAYS_AGO
        fay.send_failures = 1  # one refusal, then delivered: not bounced
        gus = invitation_of("gus@example.org")
        gus.sent_at = gus.last_sent_at = DAYS_AGO
        gus.opened_at = NOW
        hal = invitation_of("hal@example.org")
        hal.sent_at, hal.opened_at, hal.completed_at = DAYS_AGO, DAYS_AGO, NOW
        hal.expires_on = TODAY  # answered, then closed: still answered
        ida = invitation_of("ida@example.org")
        ida.sent_at, ida.opted_out_at = DAYS_AGO, NOW
        jon = invitation_of("jon@example.org")
        jon.sent_at = DAYS_AGO
        jon.participant.opted_out_at = jon.participant.consent_withdrawn_at = NOW
        invitation_of("kim@example.org").send_failures = 3
        lou = invitation_of("lou@example.org")
        lou.sent_at, lou.opened_at, lou.expires_on = DAYS_AGO, DAYS_AGO, TODAY
        db.session.commit()
    return EXPECTED


@pytest.fixture
def admin(signed_in):
    return signed_in("admin")


def listed(page_text: str) -> list[str]:
    rows = BeautifulSoup(page_text, "html.parser").select("table.data tbody tr")
    return sorted(row.select("td")[1].get_text(strip=True) for row in rows)


def answer_counts(page_text: str) -> str:
    counts = BeautifulSoup(page_text, "html.parser").select_one("#answer-counts")
    return " ".join(counts.get_text(" ", strip=True).split())


# --- states -----------------------------------------------------------------------------


def test_each_invitation_has_the_state_its_dates_say_in_python_and_in_sql(app, states):
    with app.app_context():
        rows = db.session.execute(
            select(Contact.email, Invitation, state_column(TODAY))
            .join(Participant, Invitation.participant_id == Participant.id)
            .join(Contact, Contact.participant_id == Participant.id)
        ).all()
        derived = {email: state_of(invitation, TODAY) for email, invitation, _ in rows}
        in_sql = {email: state for email, _, state in rows}
    assert derived == states
    assert in_sql == states


def test_the_command_prints_each_invitation_by_public_id_and_no_address(app, runner, states):
    result = runner.invoke(args=["followups", "participation"])
    assert result.exit_code == 0, result.output
    assert "@" not in result.output
    lines = [line.split("\t") for line in result.output.splitlines()]
    assert sorted(line[3] for line in lines) == sorted(states.values())
    gus = public_id_of(app, "gus@example.org")
    (line,) = [line for line in lines if line[0] == gus]
    assert line[1:4] == ["alumni", "followup-1y", "opened"]
    assert line[7] == NOW.date().isoformat()  # opened on
    only = runner.invoke(args=["followups", "participation", "--state", "bounced"])
    assert [line.split("\t")[0] for line in only.output.splitlines()] == [
        public_id_of(app, "kim@example.org")
    ]


# --- the participants page --------------------------------------------------------------


def test_the_filters_list_exactly_who_has_not_answered_and_who_bounced(app, admin, states):
    # Counted here from the rows this test made: asked (or about to be), no answer, and
    # still reachable by mail.
    not_answered = sorted(
        email for email, state in states.items() if state in {"due", "sent", "opened", "expired"}
    )
    bounced = sorted(email for email, state in states.items() if state == "bounced")
    assert len(not_answered) == 7 and bounced == ["kim@example.org"]

    page = admin.get("/admin/participants?answer=not_answered")
    assert page.status_code == 200
    assert listed(page.text) == not_answered
    assert answer_counts(page.text) == f"not answered: {len(not_answered)} bounced: 1"
    assert listed(admin.get("/admin/participants?answer=bounced").text) == bounced

    # Combined with the search, the term and the wave.
    assert listed(admin.get("/admin/participants?answer=not_answered&q=FAY").text) == [
        "fay@example.org"
    ]
    found = admin.get("/admin/participants?q=ka")
    assert answer_counts(found.text) == "not answered: 0 bounced: 0"  # no "ka" but Kim's k@
    with app.app_context():
        term_b = invitation_of("eva@example.org").participant.term_id
    in_term_b = admin.get(f"/admin/participants?answer=not_answered&term={term_b}")
    assert listed(in_term_b.text) == [
        e
        for e in not_answered
        if e not in {"ana@example.org", "bo@example.org", "chen@example.org"}
    ]
    invited = admin.get("/admin/participants?wave=alumni:followup-1y")
    assert listed(invited.text) == sorted(states)  # not dee, max nor moe: never invited
    assert answer_counts(invited.text) == f"not answered: {len(not_answered)} bounced: 1"


def test_each_row_shows_the_states_and_the_person_page_their_dates(app, admin, states):
    page = BeautifulSoup(admin.get("/admin/participants").text, "html.parser")
    cells = {
        row.select("td")[1].get_text(strip=True): row.select_one("td.participation")
        for row in page.select("table.data tbody tr")
    }
    assert "alumni followup-1y: opened " + NOW.date().isoformat() in " ".join(
        cells["gus@example.org"].get_text(" ", strip=True).split()
    )
    assert "bounced" in cells["kim@example.org"].get_text()
    assert "no invitation" in cells["moe@example.org"].get_text()

    person = admin.get(f"/admin/participants/{internal_id_of(app, 'lou@example.org')}")
    assert person.status_code == 200
    # No contact details: neither the address nor the name.
    assert "lou@" not in person.text and "Lou" not in person.text
    (row,) = BeautifulSoup(person.text, "html.parser").select("table#invitations tbody tr")
    cells = [td.get_text(strip=True) for td in row.select("td")]
    # survey, wave, state, due, sent, reminders, last message, refused, opened, answered,
    # opted out, link open until
    assert cells[:3] == ["alumni", "followup-1y", "expired"]
    assert cells[4] == DAYS_AGO.date().isoformat() and cells[8] == DAYS_AGO.date().isoformat()
    assert cells[9:11] == ["–", "–"]
    assert cells[11] == (TODAY - timedelta(days=1)).isoformat()


def test_the_follow_ups_totals_lead_to_who_has_not_answered(admin, states):
    page = BeautifulSoup(admin.get("/admin/followups").text, "html.parser")
    link = page.select_one("table#waves tbody a")["href"]
    assert listed(admin.get(link).text) == sorted(
        e for e, s in states.items() if s in {"due", "sent", "opened", "expired"}
    )


# --- the actions ------------------------------------------------------------------------


def act(client, app, emails, action="reminder", **extra):
    token = csrf_of(client.get("/admin/participants").text)
    data = {
        "csrf_token": token,
        "participant": [public_id_of(app, e) for e in emails],
        "action": action,
        **extra,
    }
    return client.post("/admin/participants/remind", data=data, follow_redirects=True)


def flashes(page_text: str) -> list[str]:
    soup = BeautifulSoup(page_text, "html.parser")
    return [" ".join(f.get_text(" ", strip=True).split()) for f in soup.select(".flash")]


def audit_details(app, action: str) -> list[dict]:
    with app.app_context():
        return [
            (event.actor, event.details)
            for event in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        ]


def sent_earlier(app, runner, days: int = 3) -> None:
    """Send the invitations, as if the daily job had sent them `days` ago."""
    assert runner.invoke(args=["followups", "schedule"]).exit_code == 0
    assert runner.invoke(args=["followups", "send"]).exit_code == 0
    with app.app_context():
        for invitation in db.session.scalars(select(Invitation)):
            invitation.sent_at = invitation.last_sent_at = NOW - timedelta(days=days)
        db.session.commit()


def test_a_reminder_to_one_person_arrives_once_with_a_link_that_works(
    app,
    runner,
    cohort,
    mailbox,
    admin,
    client,
):
    sent_earlier(app, runner)
    before = len(mailbox.messages)
    page = act(admin, app, ["bo@example.org"])
    assert page.status_code == 200
    assert flashes(page.text) == ["1 message sent."]
    new = mailbox.messages[before:]
    assert [m["To"] for m in new] == ["Bo <bo@example.org>"]
    assert new[0]["Subject"] == "Reminder: A year on"
    survey = client.get(personal_link(new[0]))
    assert survey.status_code == 200 and "Still contributing?" in survey.text
    with app.app_context():
        assert invitation_of("bo@example.org").reminders_sent == 1
        assert invitation_of("ana@example.org").reminders_sent == 0
    (entry,) = audit_details(app, "reminders sent")
    assert entry == ("admin@pathways.test", {"people": 1, "sent": 1})

    # Pressed again the same day: nothing more goes.
    again = act(admin, app, ["bo@example.org"])
    assert flashes(again.text) == ["1 invitation skipped: a message went today already."]
    assert len(mailbox.messages) == before + 1


def test_a_selection_skips_who_answered_opted_out_or_has_no_invitation(
    app,
    runner,
    cohort,
    mailbox,
    admin,
    respondent,
):
    sent_earlier(app, runner)
    # Ana answers; Chen stops the mail from her link.
    ana = respondent("alumni", base=personal_link(mailbox.to("ana@example.org")[0]))
    ana.open()
    ana.post(1, {"still": "yes"})
    ana.post(2, {"helped": "no"})
    with app.app_context():
        assert invitation_of("ana@example.org").completed_at is not None
        invitation_of("chen@example.org").participant.opted_out_at = NOW
        db.session.commit()
    before = len(mailbox.messages)

    everyone = ["ana@example.org", "bo@example.org", "chen@example.org", "dee@example.org"]
    page = act(admin, app, everyone)
    assert flashes(page.text) == [
        "1 message sent.",
        "1 invitation skipped: already answered.",
        "1 invitation skipped: the person opted out.",
        "1 person has no invitation to remind.",
    ]
    assert [m["To"] for m in mailbox.messages[before:]] == ["Bo <bo@example.org>"]
    (_, details) = audit_details(app, "reminders sent")[0]
    assert details == {
        "people": 4,
        "sent": 1,
        "answered": 1,
        "opted_out": 1,
        "no_invitation": 1,
    }
    assert "@" not in json.dumps(details)


def test_a_refused_address_does_not_stop_the_others(
    app,
    runner,
    cohort,
    mailbox,
    admin,
):
    sent_earlier(app, runner)
    before = len(mailbox.messages)
    mailbox.refuse_recipients = {"bo@example.org"}
    page = act(admin, app, ["ana@example.org", "bo@example.org", "chen@example.org"])
    assert flashes(page.text) == ["2 messages sent.", "1 message refused by the mail server."]
    assert sorted(m["To"].addresses[0].addr_spec for m in mailbox.messages[before:]) == [
        "ana@example.org",
        "chen@example.org",
    ]
    with app.app_context():
        assert invitation_of("bo@example.org").send_failures == 1


def test_a_fresh_link_reopens_an_expired_invitation_and_old_links_work_again(
    app,
    runner,
    cohort,
    mailbox,
    admin,
    client,
):
    sent_earlier(app, runner, days=70)
    old_link = personal_link(mailbox.to("bo@example.org")[0])
    with app.app_context():
        invitation_of("bo@example.org").expires_on = TODAY
        db.session.commit()
    assert client.get(old_link).status_code == 410

    # A reminder cannot help: the link has closed.
    refused = act(admin, app, ["bo@example.org"])
    assert flashes(refused.text) == [
        "1 invitation skipped: its link has expired; send a fresh link instead."
    ]
    before = len(mailbox.messages)
    page = act(admin, app, ["bo@example.org"], action="fresh_link")
    assert flashes(page.text) == ["1 message sent."]
    (fresh,) = mailbox.messages[before:]
    assert fresh["Subject"] == "Google Summer of Code: A year on"  # an invitation, anew
    new_link = personal_link(fresh)
    assert new_link != old_link
    assert client.get(new_link).status_code == 200
    assert client.get(old_link).status_code == 200
    with app.app_context():
        invitation = invitation_of("bo@example.org")
        # Open again for the survey's open_for (60d) from today; the mail names its last day.
        assert invitation.expires_on == TODAY + timedelta(days=60)
        assert invitation.reminders_sent == 1
    last_day = (TODAY + timedelta(days=59)).strftime("%B %-d, %Y")
    assert last_day in text_of(fresh)
    assert audit_details(app, "fresh links sent") == [
        ("admin@pathways.test", {"people": 1, "sent": 1})
    ]


def test_a_fresh_link_for_an_open_invitation_keeps_the_old_one_working(
    app,
    runner,
    cohort,
    mailbox,
    client,
):
    sent_earlier(app, runner)
    old_link = personal_link(mailbox.to("chen@example.org")[0])
    with app.app_context():
        closes = invitation_of("chen@example.org").expires_on
    result = runner.invoke(
        args=[
            "followups",
            "remind",
            "--fresh-link",
            "--participant",
            public_id_of(app, "chen@example.org"),
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 sent"
    new_link = personal_link(mailbox.to("chen@example.org")[-1])
    assert len(mailbox.to("chen@example.org")) == 2
    assert client.get(new_link).status_code == 200
    assert client.get(old_link).status_code == 200
    with app.app_context():
        assert invitation_of("chen@example.org").expires_on == closes  # unchanged
    assert audit_details(app, "fresh links sent") == [("cli", {"people": 1, "sent": 1})]


def test_the_command_reminds_as_the_page_does(app, runner, cohort, mailbox):
    sent_earlier(app, runner)
    with app.app_context():
        invitation_of("ana@example.org").completed_at = NOW
        db.session.commit()
    before = len(mailbox.messages)
    ids = [public_id_of(app, e) for e in ("ana@example.org", "bo@example.org")]
    args = ["followups", "remind", "--wave", "alumni:followup-1y"]
    for public_id in [*ids, "nobody"]:
        args += ["--participant", public_id]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "1 sent; 1 skipped, already answered; 1 unknown participant ids"
    )
    assert [m["To"] for m in mailbox.messages[before:]] == ["Bo <bo@example.org>"]
    other_wave = runner.invoke(
        args=["followups", "remind", "--wave", "alumni:followup-5y", "--participant", ids[1]]
    )
    assert other_wave.output.strip() == "1 people with no invitation"
    assert len(mailbox.messages) == before + 1


def test_an_analyst_may_not_see_or_send(app, runner, cohort, mailbox, signed_in):
    sent_earlier(app, runner)
    analyst = signed_in("analyst")
    token = csrf_of(analyst.get("/admin/").text)
    answer = analyst.post(
        "/admin/participants/remind",
        data={"csrf_token": token, "participant": public_id_of(app, "bo@example.org")},
    )
    assert answer.status_code == 403
    person = internal_id_of(app, "bo@example.org")
    assert analyst.get(f"/admin/participants/{person}").status_code == 403
    before = len(mailbox.messages)
    assert before == 3 and audit_details(app, "reminders sent") == []


def test_without_the_csrf_token_nothing_is_sent(app, runner, cohort, mailbox, admin):
    sent_earlier(app, runner)
    answer = admin.post(
        "/admin/participants/remind",
        data={"participant": public_id_of(app, "bo@example.org")},
    )
    assert answer.status_code == 400
    assert len(mailbox.messages) == 3


def test_sending_by_hand_is_rate_limited(app, admin):
    token = csrf_of(admin.get("/admin/participants").text)
    answers = [
        admin.post("/admin/participants/remind", data={"csrf_token": token}).status_code
        for _ in range(21)
    ]
    assert answers == [302] * 20 + [429]
