"""Security headers and cookie flags on public, personal-link and admin pages."""

from __future__ import annotations

import pytest

from tests.conftest import config_for

PAGES = ["/s/club", "/s/club/thanks", "/f/" + "A" * 43, "/admin/login", "/healthz", "/nowhere"]

CLUB = """
id: club
version: 1
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
