"""The admin area under odd query strings: a clear page or a redirect, never a 500."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import STAFF_PASSWORD, csrf_of

# Text that has hurt before: Unicode digits, control characters, very long values.
ODD = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["²²²²", "٢٠٢٥", "2025\r\nSet-Cookie: x=1", "/admin\r\nX: y", "9" * 400]),
)
PAGES = ["/admin/", "/admin/dashboard", "/admin/people", "/admin/exports", "/admin/audit"]


def test_unicode_digits_in_dashboard_filters_are_a_notice(signed_in):
    page = signed_in("admin").get("/admin/dashboard?year=²²²²&term=²")
    assert page.status_code == 200 and "There is no year" in page.text


def test_control_characters_in_next_are_ignored_after_sign_in(client, staff):
    email = staff("admin")
    token = csrf_of(client.get("/admin/login").text)
    answer = client.post(
        "/admin/login?next=/admin/people%0d%0aX-Evil:%201",
        data={"email": email, "password": STAFF_PASSWORD, "csrf_token": token},
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/")


@pytest.mark.slow
def test_odd_query_strings_never_fail(signed_in):
    client = signed_in("admin")  # once: signing in again and again is rate limited

    @settings(max_examples=60, deadline=None)
    @given(
        key=st.sampled_from(["year", "programme", "term", "q", "page", "table", "next"]),
        value=ODD,
    )
    def check(key: str, value: str) -> None:
        for path in PAGES:
            answer = client.get(path, query_string={key: value})
            assert answer.status_code < 500, (path, key, value)

    check()


FORMS = {
    "/admin/exports": [
        "survey",
        "purpose",
        "format",
        "k",
        "max_suppression",
        "l_diversity",
        "programme",
        "term",
    ],
    "/admin/programmes": ["code", "name"],
    "/admin/programmes/terms": ["programme", "name", "start", "end"],
    "/admin/users": ["email", "role"],
}


def test_odd_form_posts_never_fail(signed_in):
    """Every admin form, posted with odd values and a valid CSRF token: a page with the
    form's messages (or a download), never a 500."""
    client = signed_in("admin")
    token = csrf_of(client.get("/admin/exports").text)

    @settings(max_examples=40, deadline=None)
    @given(path=st.sampled_from(sorted(FORMS)), values=st.lists(ODD, min_size=8, max_size=8))
    def check(path: str, values: list[str]) -> None:
        data = dict(zip(FORMS[path], values, strict=False))
        answer = client.post(path, data={**data, "csrf_token": token})
        assert answer.status_code < 500, (path, data)
        assert answer.status_code != 400, "the CSRF token was refused: nothing was tested"

    check()
