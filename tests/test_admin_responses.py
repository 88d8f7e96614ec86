"""A survey's responses in the admin area, one at a time, with identity hidden: listed by
pseudonym, wave, day and language; a response's answers worded in the reader's language;
every response shown audited; admins only; nothing of a person who withdrew consent."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import AuditEvent, Contact, Participant, Response
from surveys.responses.pseudonyms import pseudonym

PROJECTS = """\
id: projects
version: 1
title: {en: Your projects, es: Tus proyectos}
languages: [en, es]
schedule:
  wave: followup-1y
  from: term_end
  after: 1y
  for: {role: mentee}
pages:
  - name: about
    title: {en: About you, es: Sobre ti}
    questions:
      - name: still
        type: select_one yn
        label: {en: Still contributing?, es: ¿Sigues contribuyendo?}
      - name: areas
        type: select_multiple areas
        label: {en: What you work on, es: En qué trabajas}
        other: true
      - name: story
        type: long_text
        label: {en: Your story, es: Tu historia}
      - name: hours
        type: integer
        label: {en: Hours a week, es: Horas por semana}
  - name: work
    title: {en: Your projects, es: Tus proyectos}
    questions:
      - name: projects
        type: repeat
        label: {en: Projects, es: Proyectos}
        max_count: 5
        questions:
          - name: project
            type: text
            label: {en: Project, es: Proyecto}
          - name: role
            type: select_one roles
            label: {en: "Your role in ${project}", es: "Tu papel en ${project}"}
choices:
  yn:
    - {code: "yes", label: {en: "Yes", es: "Sí"}}
    - {code: "no", label: {en: "No", es: "No"}}
  areas:
    - {code: code, label: {en: Code, es: Código}}
    - {code: docs, label: {en: Documentation, es: Documentación}}
  roles:
    - {code: coder, label: {en: Coder, es: Programadora}}
    - {code: maintainer, label: {en: Maintainer, es: Mantenedora}}
"""

ANSWERS = {
    "still": "yes",
    "areas": ["docs", "other"],
    "areas_other": "Translations",
    "story": "I met my mentor\nin Nairobi.",
    "hours": 12,
    "projects": [
        {"project": "Kiwix", "role": "maintainer"},
        {"project": "Zulip", "role": "coder"},
    ],
}

PEOPLE = [
    ("ana@example.org", "Ana Lima"),
    ("bo@example.org", "Bo Berg"),
    ("chen@example.org", "Chen Wu"),
]
HEX16 = re.compile(r"^[0-9a-f]{16}$")


@pytest.fixture
def answered(app, make_survey, runner, tmp_path):
    """Three mentees of one term: Ana answered twice (intake-like first, then the
    follow-up), Bo once, Chen once but withdrew her consent. Returns response ids by
    name."""
    version_id = make_survey(PROJECTS)
    csv = tmp_path / "people.csv"
    csv.write_text(
        "email,name,role,status\n"
        + "".join(f"{email},{name},mentee,completed\n" for email, name in PEOPLE)
    )
    result = runner.invoke(
        args=[
            "participants",
            "import",
            str(csv),
            "--programme",
            "gsoc",
            "--term",
            "2024",
            "--term-end",
            "2024-09-01",
        ]
    )
    assert result.exit_code == 0, result.output
    ids: dict[str, int] = {}
    with app.app_context():
        person = {
            email: db.session.scalar(
                select(Participant.id).join(Contact).where(Contact.email == email)
            )
            for email, _name in PEOPLE
        }
        start = datetime(2025, 9, 2, 10, tzinfo=UTC)
        for number, (key, email, wave) in enumerate(
            [
                ("ana-1", "ana@example.org", "intake"),
                ("ana-2", "ana@example.org", "followup-1y"),
                ("bo", "bo@example.org", "followup-1y"),
                ("chen", "chen@example.org", "followup-1y"),
            ]
        ):
            response = Response(
                survey_version_id=version_id,
                locale="en",
                started_at=start,
                submitted_at=start + timedelta(days=number),
                answers=ANSWERS,
                submission_key=key,
                wave=wave,
                participant_id=person[email],
            )
            db.session.add(response)
            db.session.flush()
            ids[key] = response.id
        chen = db.session.get(Participant, person["chen@example.org"])
        chen.consent_withdrawn_at = datetime.now(UTC)
        db.session.commit()
    return ids


def listed(page_text: str) -> list[list[str]]:
    page = BeautifulSoup(page_text, "html.parser")
    return [
        [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in page.select("table.data tbody tr")
    ]


def viewed(app) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(select(AuditEvent).where(AuditEvent.action == "response viewed"))
        )


def identities(app) -> list[str]:
    """Everything that names a person: emails, names, participant and public ids."""
    with app.app_context():
        found = [email for email, _ in PEOPLE] + [name for _, name in PEOPLE]
        for participant in db.session.scalars(select(Participant)):
            found.append(participant.public_id)
        return found


def test_the_list_shows_pseudonyms_waves_and_days_and_nobody(app, answered, signed_in):
    admin = signed_in("admin")
    surveys = admin.get("/admin/surveys")
    assert 'href="/admin/surveys/projects/responses"' in surveys.text

    page = admin.get("/admin/surveys/projects/responses")
    assert page.status_code == 200
    rows = listed(page.text)
    # Chen withdrew her consent: her response is not there. Newest first.
    assert [row[1] for row in rows] == ["followup-1y", "followup-1y", "intake"]
    pseudonyms = [row[0] for row in rows]
    assert all(HEX16.match(p) for p in pseudonyms), pseudonyms
    # Ana's two responses share her pseudonym; Bo has another.
    bo, ana_later, ana_first = pseudonyms
    assert ana_later == ana_first != bo
    assert [row[3] for row in rows] == ["Sep 4, 2025", "Sep 3, 2025", "Sep 2, 2025"]
    assert all(row[4] == "English" for row in rows)
    for identity in identities(app):
        assert identity not in page.text, identity
    # No participant id in a link either: each response is reached by its own id only.
    links = re.findall(r'href="(/admin/surveys/projects/responses/[^"]*)"', page.text)
    assert sorted(links) == sorted(
        f"/admin/surveys/projects/responses/{answered[key]}" for key in ("ana-1", "ana-2", "bo")
    )

    intake = admin.get("/admin/surveys/projects/responses?wave=intake")
    assert [row[1] for row in listed(intake.text)] == ["intake"]
    # Nothing was audited for a list: no answers were shown.
    with app.app_context():
        assert viewed(app) == []


def test_the_list_comes_in_pages(app, make_survey, signed_in):
    version_id = make_survey(PROJECTS)
    with app.app_context():
        for number in range(55):
            db.session.add(
                Response(
                    survey_version_id=version_id,
                    locale="es",
                    started_at=datetime(2025, 1, 1, tzinfo=UTC),
                    answers={"still": "no"},
                    submission_key=f"k{number}",
                    wave="followup-1y",
                    # Answered at a survey's public address: none, and this survey is not
                    # public, so only with a participant would they be shown...
                    participant_id=None,
                )
            )
        db.session.commit()
    admin = signed_in("admin")
    # ...as exports do: answers without a person to a survey that is not public stay out.
    assert listed(admin.get("/admin/surveys/projects/responses").text) == []

    public = PROJECTS.replace("version: 1\n", "version: 2\npublic: true\n")
    make_survey(public, "public.yaml")
    first = admin.get("/admin/surveys/projects/responses")
    assert len(listed(first.text)) == 50 and "Page 1 of 2" in first.text
    second = admin.get("/admin/surveys/projects/responses?page=2")
    rows = listed(second.text)
    assert len(rows) == 5 and all(row[4] == "español" for row in rows)
    # Anonymous answers are their own pseudonym each: 55 different ones.
    every = {row[0] for row in listed(first.text) + rows}
    assert len(every) == 55


def test_a_response_shows_its_answers_in_the_readers_language(app, answered, signed_in):
    admin = signed_in("admin")
    page = admin.get(
        f"/admin/surveys/projects/responses/{answered['ana-2']}",
        headers={"Accept-Language": "es"},
    )
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    answers = {
        dt.get_text(strip=True): dt.find_next_sibling("dd")
        for dt in soup.select("section dl.answers > dt")
    }
    assert answers["¿Sigues contribuyendo?"].get_text(strip=True) == "Sí"
    areas = [li.get_text(strip=True) for li in answers["En qué trabajas"].select("li")]
    # The "other" choice with the words written for it.
    assert areas[0] == "Documentación" and areas[1].endswith(": Translations"), areas
    assert answers["Tu historia"].get_text() == "I met my mentor\nin Nairobi."
    assert answers["Horas por semana"].get_text(strip=True) == "12"
    # The repeat: one entry per project, each with its own answers, labels piped.
    entries = answers["Proyectos"].select("ol.entries > li")
    assert [
        [
            (dt.get_text(strip=True), dt.find_next_sibling("dd").get_text(strip=True))
            for dt in e.select("dt")
        ]
        for e in entries
    ] == [
        [("Proyecto", "Kiwix"), ("Tu papel en Kiwix", "Mantenedora")],
        [("Proyecto", "Zulip"), ("Tu papel en Zulip", "Programadora")],
    ]
    for identity in identities(app):
        assert identity not in page.text, identity
    pseudonym = soup.h1.get_text().split()[-1]
    assert HEX16.match(pseudonym)

    with app.app_context():
        (event,) = viewed(app)
        assert (event.actor, event.action) == ("admin@pathways.test", "response viewed")
        assert event.details == {"survey": "projects", "response": answered["ana-2"]}


def test_a_withdrawn_or_unknown_response_is_not_shown_nor_audited(app, answered, signed_in):
    admin = signed_in("admin")
    assert admin.get(f"/admin/surveys/projects/responses/{answered['chen']}").status_code == 404
    assert admin.get("/admin/surveys/projects/responses/999999").status_code == 404
    # A response of another survey is not reached through this one's address.
    assert admin.get(f"/admin/surveys/other/responses/{answered['bo']}").status_code == 404
    with app.app_context():
        assert viewed(app) == []


def test_analysts_read_no_response(answered, signed_in):
    analyst = signed_in("analyst")
    assert analyst.get("/admin/surveys/projects/responses").status_code == 403
    assert analyst.get(f"/admin/surveys/projects/responses/{answered['bo']}").status_code == 403


def test_the_pseudonym_is_not_derived_from_the_ids_alone(app, answered, signed_in):
    """Another key (SECRET_KEY) gives other pseudonyms: knowing a participant's id is not
    enough to find their responses."""
    page = signed_in("admin").get("/admin/surveys/projects/responses")
    mine = {row[0] for row in listed(page.text)}

    with app.app_context():
        ids = db.session.execute(select(Response.id, Response.participant_id)).all()
    assert mine <= {pseudonym("test-secret-key-not-for-production", p, r) for r, p in ids}
    assert not mine & {pseudonym("another-secret-key-entirely", p, r) for r, p in ids}
