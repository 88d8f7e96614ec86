"""`/healthz` and what respondents see when the database is away."""

from __future__ import annotations

from tests.conftest import config_for

UNREACHABLE = [
    # Nothing listens on port 1: the connection is refused at once.
    "postgresql+psycopg://postgres@127.0.0.1:1/pathways?connect_timeout=2",
    "sqlite:////nonexistent-folder/pathways.db",
]


def test_healthz_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_503_when_the_database_is_unreachable(app_factory):
    for url in UNREACHABLE:
        app = app_factory(config_for(url))
        response = app.test_client().get("/healthz")
        assert response.status_code == 503, url
        assert response.get_json()["status"] == "unavailable"


def test_survey_pages_answer_503_with_a_friendly_page_when_the_database_is_down(app_factory):
    for url in UNREACHABLE:
        app = app_factory(config_for(url))
        response = app.test_client().get("/s/intake")
        assert response.status_code == 503, url
        assert "Temporarily unavailable" in response.text
        assert "Traceback" not in response.text
