"""Synthetic programmes, participants and answers, for trying Pathways and for benchmarks.

Skewed like a real programme: most people from a few countries and a long tail of single
people from small ones, mostly young, more men than women, some "prefer not to say".
The answers are deterministic for a seed and follow each question's `relevant`. Written
with bulk inserts (never through HTTP), so a million responses take minutes. Every
answer uses the codes of the loaded survey definitions.

So that every dashboard section has something to show, the data also holds: mentors
answering the mentor survey, alumni who stopped contributing, failed and withdrawn mentees
(fewer each year), a share from Latin America and Africa that grows year by year, the
project each person takes part with, and returning mentees (a later term's mentee with an
earlier mentee's email). Every intake is a personal link's: a public-link intake has no
term, so an export generalises it on its own and hides most of them, which would take
Latin America and Africa out of the synthetic releases the export tests check.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pycountry
from sqlalchemy import insert, select

from ..definitions import evaluation
from ..definitions.model import Question, Survey
from ..demographics.countries import m49_regions
from ..extensions import db
from ..models import Contact, Participant, Programme, Response, StatusChange, SurveyVersion, Term
from ..survey_versions import latest_version
from ..vocabulary import PREFER_NOT_TO_SAY

PROGRAMMES = [
    ("gsoc", "Google Summer of Code"),
    ("lfx", "LFX Mentorship"),
    ("outreachy", "Outreachy"),
    ("gsod", "Google Season of Docs"),
]
YEARS = range(2019, 2026)
# Most mentees come from a handful of countries; then a long tail.
BIG_COUNTRIES: dict[str, float] = {
    "IND": 30, "USA": 9, "NGA": 7, "BRA": 5, "CHN": 5, "KEN": 4, "DEU": 3, "IDN": 3,
    "PAK": 2, "EGY": 2, "GBR": 2, "MEX": 2, "ARG": 1.5, "COL": 1.5, "GHA": 1.5, "BGD": 1.5,
}  # fmt: skip
WEIGHTS: dict[str, dict[str, float]] = {
    "age_range": {"18-24": 45, "25-29": 28, "30-34": 12, "35-39": 6, "40-44": 3,
                  "45-49": 2, "50-54": 1, "55-59": 0.5, "60-64": 0.3, "65+": 0.2,
                  PREFER_NOT_TO_SAY: 2},
    "gender": {"man": 58, "woman": 35, "non_binary": 3, "self_describe": 1, PREFER_NOT_TO_SAY: 3},
    "qualification_earned": {"ED3": 15, "ED4": 5, "ED5": 5, "ED6": 50, "ED7": 18, "ED8": 3,
                             PREFER_NOT_TO_SAY: 4},
    "relative_income": {"well_below": 8, "below": 25, "average": 40, "above": 17,
                        "well_above": 4, PREFER_NOT_TO_SAY: 6},
}  # fmt: skip
STATUSES = {"completed": 85, "failed": 6, "withdrawn": 4, "active": 5}
# Each year after the first, failing and withdrawing get this much rarer (the organisers'
# goal: from about 9.5% to under 5%), and Latin America and Africa this much commoner.
FEWER_FAILURES = 0.12
MORE_LATIN_AMERICA_AFRICA = 0.1
BATCH = 5000
# The surveys a synthetic person answers: mentees the intake, then some of the follow-ups;
# mentors the mentor survey.
WAVES = ("intake", "followup-1y", "followup-5y", "mentor")
MENTORS = 0.08  # the share of synthetic people who are mentors
RETURNING = 0.08  # the share of mentees who had been a mentee in an earlier term
# Alumni who answer a follow-up and no longer contribute.
STOPPED = {"followup-1y": 0.3, "followup-5y": 0.45}
# More projects each year: a term's people come from the first 15 + 4 a year of these.
PROJECTS = [
    "Kubernetes", "Jenkins", "OpenTelemetry", "Zephyr", "Hyperledger Fabric", "Apache Airflow",
    "GNOME", "KDE", "Mozilla Firefox", "Wikimedia", "LibreOffice", "OpenStreetMap", "NumPy",
    "pandas", "scikit-learn", "Jupyter", "Django", "Flask", "Rust", "Python", "Node.js",
    "Prometheus", "Envoy", "Fedora", "Debian", "Linux kernel", "Git", "Inkscape", "GIMP",
    "Blender", "PostgreSQL", "Ceph", "OpenSSF Scorecard", "Sigstore", "Backstage",
    "Thunderbird", "Tor", "VLC", "Krita", "Matrix", "Mastodon", "OpenMRS", "DHIS2",
]  # fmt: skip

Key = TypeVar("Key")


@dataclass
class SynthReport:
    participants: int = 0
    responses: int = 0


def _pick(rng: random.Random, weights: Mapping[Key, float]) -> Key:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _countries(rng: random.Random) -> dict[str, float]:
    """The big ones, then every other country with a small weight (the long tail)."""
    tail = [c.alpha_3 for c in pycountry.countries if c.alpha_3 not in BIG_COUNTRIES]
    weights = dict(BIG_COUNTRIES)
    for code in rng.sample(tail, 120):
        weights[code] = 0.05
    return weights


def _countries_in(countries: dict[str, float], year: int) -> dict[str, float]:
    """The weights of a year: the big countries of Latin America (M49 419) and Africa (002)
    grow each year. The long tail stays as it is: its lone people are what an export
    must generalise, and growing it would only hide more of them."""
    regions = m49_regions()
    growth = 1 + MORE_LATIN_AMERICA_AFRICA * (year - YEARS[0])

    def grows(code: str) -> bool:
        row = regions.get(code)
        in_region = row is not None and (
            row["subregion_code"] == "419" or row["region_code"] == "002"
        )
        return in_region and code in BIG_COUNTRIES

    return {code: weight * growth if grows(code) else weight for code, weight in countries.items()}


def _statuses_in(year: int) -> dict[str, float]:
    fewer = max(0.2, 1 - FEWER_FAILURES * (year - YEARS[0]))
    return {
        status: weight * fewer if status in ("failed", "withdrawn") else weight
        for status, weight in STATUSES.items()
    }


def _codes(survey: Survey, question: Question) -> list[str]:
    choice_list = survey.choice_list(question)
    return list(choice_list.codes) if choice_list else []


def answers_for(
    survey: Survey, rng: random.Random, countries: dict[str, float], year: int | None = None
) -> dict[str, Any]:
    """A plausible set of answers to every question of a survey, with its codes; `year`
    is the year of the answers, which an intake's year of the term is."""
    answers: dict[str, Any] = {}
    for question in survey.questions:
        name, kind = question.name, question.type
        if question.relevance is not None and not question.relevance.is_true(answers):
            continue
        codes = _codes(survey, question)
        if question.is_calculated:
            # As the answering flow stores it: worked out from the answers before it.
            context = evaluation.SurveyContext(survey, survey.default_language)
            value = evaluation.calculate(question, answers, context)
            if value is not None:
                answers[name] = value
        elif kind == "consent":
            answers[name] = True
        elif name == "country":
            # Only the places the survey offers (none where nobody lives).
            offered = {code: weight for code, weight in countries.items() if code in codes}
            answers[name] = _pick(rng, offered or countries)
        elif name == "term_year":
            # The person's term, not a draw (which would also change every later answer).
            if year is not None and str(year) in codes:
                answers[name] = str(year)
        elif name in WEIGHTS and kind == "select_one":
            answers[name] = _pick(rng, {c: w for c, w in WEIGHTS[name].items() if c in codes})
        elif name == "gender" and kind == "select_multiple":
            answers[name] = [_pick(rng, WEIGHTS["gender"])]
        elif name == "still_contributing" and kind == "select_multiple":
            if rng.random() < STOPPED.get(survey.id, 0.3):
                answers[name] = ["no"]
            else:
                places = [["same_project"], ["other_projects"], ["same_project", "other_projects"]]
                answers[name] = rng.choices(places, weights=[40, 40, 20])[0]
        elif kind == "select_one" and codes:
            if question.required or rng.random() < 0.85:
                weights = [1 / (i + 1) for i in range(len(codes))]
                answers[name] = rng.choices(codes, weights=weights)[0]
        elif kind == "select_multiple" and codes:
            plain = [c for c in codes if c not in (PREFER_NOT_TO_SAY, "no")] or codes
            if question.required or rng.random() < 0.7:
                how_many = rng.choices([1, 2, 3], weights=[75, 20, 5])[0]
                # Earlier codes are commoner, as in real answers.
                weights = [1 / (i + 1) for i in range(len(plain))]
                chosen = {rng.choices(plain, weights=weights)[0] for _ in range(how_many)}
                answers[name] = sorted(chosen, key=plain.index)
        elif kind == "integer":
            answers[name] = rng.randint(0, 12)
        elif kind == "decimal":
            answers[name] = round(rng.uniform(0.5, 12), 1)
        elif kind in ("text", "long_text") and rng.random() < 0.1:
            answers[name] = "Synthetic text."
    return answers


def synthesise(
    responses: int, seed: int = 1, progress: Callable[[int], None] = lambda n: None
) -> SynthReport:
    """Add exactly `responses` responses: intakes, 1- and 5-year follow-ups of some
    mentees, and mentors' answers."""
    rng = random.Random(seed)
    # Who is a mentor, their project, who returns: drawn from a stream of their own, so the
    # mentees' answers stay those of the seed whatever these shares are.
    extra = random.Random(f"{seed}-extra")
    found = {sid: latest_version(sid) for sid in WAVES}
    missing = [sid for sid, version in found.items() if version is None]
    if missing:
        raise LookupError(f"load the surveys first (missing: {', '.join(missing)})")
    versions = {sid: version for sid, version in found.items() if version is not None}
    terms = _terms()
    countries = _countries(rng)
    by_year = {year: _countries_in(countries, year) for year in YEARS}
    report = SynthReport()
    today = date.today()
    # (term end, email) of the mentees made so far: a returning mentee takes one's email.
    earlier: list[tuple[date, str]] = []
    while report.responses < responses:
        room = min(BATCH, responses - report.responses)
        # Decide who answers what first, so the batch holds exactly `room` responses.
        people: list[dict[str, Any]] = []
        planned = 0
        while planned < room:
            term = rng.choice(terms)
            person = _person(rng, extra, term, report.participants + len(people), seed, earlier)
            person["waves"] = _waves(rng, extra, person, today)[: room - planned]
            planned += len(person["waves"])
            people.append(person)
        ids = db.session.scalars(
            insert(Participant).returning(Participant.id, sort_by_parameter_order=True),
            [person["participant"] for person in people],
        ).all()
        contacts: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        for pid, person in zip(ids, people, strict=True):
            n = report.participants + len(contacts)
            contacts.append(
                {"participant_id": pid, "name": f"Synthetic {seed}-{n}", "email": person["email"]}
            )
            changes.append(
                {"participant_id": pid, "status": person["participant"]["status"],
                 "changed_on": person["participant"]["status_changed_on"]}
            )  # fmt: skip
            for wave, day in person["waves"]:
                answers = by_year[person["term"].end.year]
                rows.append(_response(versions[wave], pid, person["term"], day, rng, answers))
        db.session.execute(insert(Contact), contacts)
        db.session.execute(insert(StatusChange), changes)
        db.session.execute(insert(Response), rows)
        db.session.commit()
        report.participants += len(ids)
        report.responses += len(rows)
        progress(report.responses)
    return report


def _waves(
    rng: random.Random, extra: random.Random, person: dict[str, Any], today: date
) -> list[tuple[str, date]]:
    """What a person answers, and when: a mentor the mentor survey after the term; a mentee
    the intake, then, having completed, some of the follow-ups that are due."""
    end = person["term"].end
    if person["participant"]["role"] == "mentor":
        day = end + timedelta(days=extra.randint(1, 40))
        return [("mentor", day)] if day < today and extra.random() < 0.6 else []
    waves = [("intake", end - timedelta(days=90))]
    if person["participant"]["status"] == "completed":
        for wave, years, share in (("followup-1y", 1, 0.35), ("followup-5y", 5, 0.25)):
            day = end + timedelta(days=365 * years + rng.randint(0, 40))
            if day < today and rng.random() < share:
                waves.append((wave, day))
    return waves


def _terms() -> list[Term]:
    terms = []
    for code, name in PROGRAMMES:
        programme = db.session.scalar(select(Programme).where(Programme.code == code))
        if programme is None:
            programme = Programme(code=code, name=name)
            db.session.add(programme)
        for year in YEARS:
            term = db.session.scalar(
                select(Term).where(Term.programme == programme, Term.name == str(year))
            )
            if term is None:
                term = Term(
                    programme=programme,
                    name=str(year),
                    start=date(year, 5, 1),
                    end=date(year, 9, 1),
                )
                db.session.add(term)
            terms.append(term)
    db.session.flush()
    return terms


def _person(
    rng: random.Random,
    extra: random.Random,
    term: Term,
    n: int,
    seed: int,
    earlier: list[tuple[date, str]],
) -> dict[str, Any]:
    """The n-th synthetic person of this run, in `term`: a mentor or a mentee, with their
    project and email (a returning mentee's that of a mentee of an earlier term)."""
    # A term imported without its first day: the person joined by its last.
    joined = term.start if term.start is not None else term.end
    role = "mentor" if extra.random() < MENTORS else "mentee"
    if term.end >= date.today():
        status = "active"
    elif role == "mentor":
        status = "completed"
    else:
        status = _pick(rng, _statuses_in(term.end.year))
    email = f"synthetic.{seed}.{n}@example.org"
    if role == "mentee":
        before = [address for end, address in earlier[-500:] if end < term.end]
        if before and extra.random() < RETURNING:
            email = extra.choice(before)
        else:
            earlier.append((term.end, email))
    projects = PROJECTS[: 15 + 4 * (term.end.year - YEARS[0])]
    return {
        "participant": {
            # Ids are random, not seeded: the same seed can run twice into one database.
            "public_id": secrets.token_hex(16),
            "term_id": term.id,
            "role": role,
            "status": status,
            "status_changed_on": term.end,
            "language": _pick(
                rng, {"en": 60, "es": 12, "pt_BR": 8, "fr": 6, "sw": 4, "ar": 4, None: 6}
            ),  # fmt: skip
            "project": extra.choice(projects),
            "created_at": datetime.combine(joined, datetime.min.time(), tzinfo=UTC),
        },
        "term": term,
        "email": email,
    }


def _response(
    version: SurveyVersion,
    participant_id: int,
    term: Term,
    day: date,
    rng: random.Random,
    countries: dict[str, float],
) -> dict[str, Any]:
    """One submitted response; an intake names the term's programme, as its answerer would."""
    answers = answers_for(version.survey, rng, countries, day.year)
    if "programme" in answers:
        answers["programme"] = term.programme.code
    submitted = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
        minutes=rng.randint(0, 24 * 60 - 1)
    )
    return {
        "survey_version_id": version.id,
        "locale": "en",
        "started_at": submitted - timedelta(minutes=rng.randint(3, 30)),
        "submitted_at": submitted,
        "answers": answers,
        "submission_key": secrets.token_hex(32),
        "wave": version.survey.wave,
        "participant_id": participant_id,
    }
