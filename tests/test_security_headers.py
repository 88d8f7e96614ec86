"""Security headers and cookie flags on public, personal-link and admin pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from surveys.extensions import db
from surveys.followups.links import new_link
from surveys.models import Invitation, Participant, Programme, Term
from tests.conftest import config_for
from tests.test_admin_access import admin_rules

PAGES = ["/s/club", "/s/club/thanks", "/f/" + "A" * 43, "/admin/login", "/healthz", "/nowhere"]

CLUB = """
id: club
version: 1
public: true
title: Club
pages:
  - title: One
    questions:
      - {name: name, type: text, label: Name}
"""


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_security_headers(app, client, make_survey, path):
    make_survey(CLUB)
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers  # plain HTTP: no HSTS


def test_hsts_over_https(app, make_survey):
    make_survey(CLUB)
    answer = app.test_client().get("/s/club", base_url="https://surveys.example.org")
    hsts = answer.headers["Strict-Transport-Security"]
    assert int(hsts.split(";")[0].removeprefix("max-age=")) >= 365 * 24 * 3600


def test_session_cookie_flags(app, client, make_survey):
    make_survey(CLUB)
    client.get("/s/club")
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure


def test_production_cookies_are_secure(app_factory, database):
    url, options = database
    config = config_for(url, options)
    config.environment = "production"
    app = app_factory(config)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def personal_link(app, expires_on) -> str:
    """A personal link to the club survey for one invited mentee; returns its path."""
    with app.app_context():
        term = Term(programme=Programme(code="p", name="P"), name="2024", end=date(2024, 9, 1))
        person = Participant(term=term, role="mentee", status_changed_on=term.end)
        invitation = Invitation(
            participant=person,
            survey_id="club",
            wave="club",
            due_on=term.end,
            expires_on=expires_on,
        )
        db.session.add(invitation)
        db.session.flush()
        token = new_link(invitation)
        db.session.commit()
    return f"/f/{token}"


def test_admin_and_personal_link_pages_are_never_stored(app, client, signed_in, make_survey):
    make_survey(CLUB)
    answers = [client.get("/admin/"), client.get("/admin/login"), client.get("/admin/nowhere")]
    admin = signed_in("admin")
    answers += [
        admin.get(url)
        for endpoint, url, method, _ in admin_rules(app)
        if method == "GET" and endpoint != "admin.logout"
    ]
    answers.append(admin.get("/admin/dashboard.csv?table=participants"))
    open_link = personal_link(app, date.today() + timedelta(days=30))
    answers += [client.get(open_link), client.get(open_link, follow_redirects=True)]
    answers.append(client.get(f"{open_link}/opt-out"))
    with app.app_context():
        db.session.execute(update(Invitation).values(expires_on=date.today()))
        db.session.commit()
    answers.append(client.get(open_link))  # expired: 410
    answers.append(client.get("/f/" + "A" * 43))  # unknown: 404
    assert len(answers) > 20
    for answer in answers:
        assert answer.headers.get("Cache-Control") == "no-store", (
            answer.request.path,
            answer.status_code,
            answer.headers.get("Cache-Control"),
        )
    assert {answer.status_code for answer in answers} >= {200, 302, 404, 410}
    # The one exception a view asks for: charts of suppressed counts, private to the browser.
    chart = admin.get("/admin/dashboard/chart/participants.svg")
    assert chart.status_code == 200 and chart.headers["Cache-Control"] == "private, max-age=300"
    # Public pages are not personal: no rule is imposed on them here.
    assert client.get("/s/club").headers.get("Cache-Control") != "no-store"
