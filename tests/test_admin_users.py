"""Staff sessions that can be ended, and the Users page, as admins use them."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import AuditEvent, User
from tests.conftest import STAFF_PASSWORD, csrf_of

LAST_ADMIN = "There must always be at least one active admin."


def sign_in(app, email: str, password: str = STAFF_PASSWORD):
    """A new browser, signed in (or not: the answer to the sign-in POST is kept)."""
    client = app.test_client()
    token = csrf_of(client.get("/admin/login").text)
    client.answer = client.post(
        "/admin/login", data={"email": email, "password": password, "csrf_token": token}
    )
    return client


def copy_of_cookie(app, client):
    """Another browser holding a copy of this one's session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def is_signed_out(client) -> bool:
    answer = client.get("/admin/")
    return answer.status_code == 302 and answer.headers["Location"].startswith("/admin/login")


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def post(client, url: str, **data):
    token = csrf_of(client.get("/admin/users").text)
    return client.post(url, data={"csrf_token": token, **data})


def shown_password(page_text: str) -> str:
    box = BeautifulSoup(page_text, "html.parser").select_one("#new-password code")
    assert box is not None, "no password shown"
    return box.get_text()


def audit_events(app) -> list[tuple[str, str, dict]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.details).order_by(AuditEvent.id)
        )
        return [tuple(row) for row in rows]


@pytest.fixture
def admin(signed_in):
    return signed_in("admin")


# --- sessions end -----------------------------------------------------------------------


def test_a_saved_cookie_stops_working_after_sign_out(app, admin):
    saved = copy_of_cookie(app, admin)
    assert saved.get("/admin/").status_code == 200
    admin.post("/admin/logout", data={"csrf_token": csrf_of(admin.get("/admin/").text)})
    assert is_signed_out(saved)
    assert is_signed_out(admin)


def test_sign_out_ends_the_sessions_on_other_devices_too(app, staff, admin):
    staff("analyst")
    laptop, phone = sign_in(app, "analyst@pathways.test"), sign_in(app, "analyst@pathways.test")
    laptop.post("/admin/logout", data={"csrf_token": csrf_of(laptop.get("/admin/").text)})
    assert is_signed_out(phone)
    # Signing in again works, and does not touch other users.
    assert sign_in(app, "analyst@pathways.test").get("/admin/").status_code == 200
    assert admin.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("deactivate", {}),
        ("role", {"role": "admin"}),
        ("password", {}),
    ],
)
def test_a_change_by_another_admin_ends_the_users_sessions(app, staff, admin, action, data):
    staff("analyst")
    analyst = sign_in(app, "analyst@pathways.test")
    saved = copy_of_cookie(app, analyst)
    url = f"/admin/users/{user_id(app, 'analyst@pathways.test')}/{action}"
    assert post(admin, url, **data).status_code in (200, 302)
    assert is_signed_out(analyst) and is_signed_out(saved)
    assert admin.get("/admin/").status_code == 200


def test_reactivation_does_not_bring_old_sessions_back(app, staff, admin):
    staff("analyst")
    analyst = sign_in(app, "analyst@pathways.test")
    number = user_id(app, "analyst@pathways.test")
    post(admin, f"/admin/users/{number}/deactivate")
    assert sign_in(app, "analyst@pathways.test").answer.status_code == 401
    post(admin, f"/admin/users/{number}/reactivate")
    assert is_signed_out(analyst)
    assert sign_in(app, "analyst@pathways.test").get("/admin/").status_code == 200


def test_a_session_from_before_session_versions_is_refused(app, staff):
    staff("admin")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id(app, "admin@pathways.test"))  # the old bare id
    assert is_signed_out(client)


# --- the Users page ---------------------------------------------------------------------


def test_analysts_may_not_see_or_change_users(app, signed_in, staff):
    analyst = signed_in("analyst")
    assert analyst.get("/admin/users").status_code == 403
    assert "/admin/users" not in analyst.get("/admin/").text
    token = csrf_of(analyst.get("/admin/").text)
    number = user_id(app, "analyst@pathways.test")
    answer = analyst.post(
        f"/admin/users/{number}/role", data={"csrf_token": token, "role": "admin"}
    )
    assert answer.status_code == 403
    with app.app_context():
        assert db.session.get(User, number).role == "analyst"


def test_the_list_shows_each_users_role_sign_in_and_state(app, staff, admin):
    staff("analyst", "never@pathways.test")
    page = admin.get("/admin/users")
    assert page.status_code == 200
    assert 'href="/admin/users"' in admin.get("/admin/").text  # in the menu
    rows = {
        tr.td.get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        for tr in BeautifulSoup(page.text, "html.parser").select("#users tbody tr")
    }
    assert set(rows) == {"admin@pathways.test", "never@pathways.test"}
    assert rows["never@pathways.test"][2] == "–"  # never signed in
    assert rows["admin@pathways.test"][2] != "–"
    assert "active" in rows["never@pathways.test"][3]


def test_an_admin_adds_a_user_whose_password_is_shown_once(app, admin):
    answer = post(admin, "/admin/users", email=" New.Person@Example.org ", role="analyst")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    password = shown_password(answer.text)
    assert len(password) >= 12
    assert password not in admin.get("/admin/users").text
    newcomer = sign_in(app, "new.person@example.org", password)
    assert newcomer.answer.status_code == 302
    assert newcomer.get("/admin/users").status_code == 403  # an analyst
    assert ("admin@pathways.test", "user created") in [e[:2] for e in audit_events(app)]
    assert password not in repr(audit_events(app))


def test_an_address_already_taken_or_not_an_address_is_refused(app, staff, admin, monkeypatch):
    staff("analyst", "ana@example.org")
    taken = post(admin, "/admin/users", email="Ana@Example.org", role="admin")
    assert taken.status_code == 422
    assert "There is already a user with this email." in taken.text
    assert "Invalid email" not in taken.text
    assert post(admin, "/admin/users", email="not-an-address", role="admin").status_code == 422
    # Taken by another admin between the form's check and the commit: refused, no error.
    monkeypatch.setattr("surveys.admin.views.users.user_called", lambda email: None)
    raced = post(admin, "/admin/users", email="ana@example.org", role="admin")
    assert raced.status_code == 422
    assert "There is already a user with this email." in raced.text
    assert "new-password" not in raced.text
    with app.app_context():
        assert len(db.session.scalars(select(User)).all()) == 2


def test_role_change_deactivation_and_reset_are_audited_without_the_password(app, staff, admin):
    staff("analyst")
    number = user_id(app, "analyst@pathways.test")
    assert post(admin, f"/admin/users/{number}/role", role="admin").status_code == 302
    assert "analyst@pathways.test is now admin." in admin.get("/admin/users").text
    post(admin, f"/admin/users/{number}/deactivate")
    post(admin, f"/admin/users/{number}/reactivate")
    reset = post(admin, f"/admin/users/{number}/password")
    password = shown_password(reset.text)
    assert sign_in(app, "analyst@pathways.test").answer.status_code == 401  # old password
    assert sign_in(app, "analyst@pathways.test", password).answer.status_code == 302
    events = [(actor, action, details) for actor, action, details in audit_events(app)]
    changes = [e for e in events if e[1].startswith("user ")]
    assert changes == [
        (
            "admin@pathways.test",
            "user role change",
            {"email": "analyst@pathways.test", "role": "admin"},
        ),
        ("admin@pathways.test", "user deactivated", {"email": "analyst@pathways.test"}),
        ("admin@pathways.test", "user reactivated", {"email": "analyst@pathways.test"}),
        ("admin@pathways.test", "user password reset", {"email": "analyst@pathways.test"}),
    ]
    assert password not in repr(events)


@pytest.mark.parametrize(("action", "data"), [("role", {"role": "analyst"}), ("deactivate", {})])
def test_the_last_active_admin_cannot_be_demoted_or_deactivated(app, staff, admin, action, data):
    # Another admin who is deactivated does not count.
    staff("admin", "former@pathways.test")
    post(admin, f"/admin/users/{user_id(app, 'former@pathways.test')}/deactivate")
    answer = post(admin, f"/admin/users/{user_id(app, 'admin@pathways.test')}/{action}", **data)
    assert answer.status_code == 422 and LAST_ADMIN in answer.text
    with app.app_context():
        me = db.session.scalar(select(User).where(User.email == "admin@pathways.test"))
        assert me.role == "admin" and me.active
    assert admin.get("/admin/").status_code == 200  # still signed in


def test_with_another_admin_an_admin_may_step_down(app, staff, admin):
    staff("admin", "other@pathways.test")
    number = user_id(app, "admin@pathways.test")
    assert post(admin, f"/admin/users/{number}/role", role="analyst").status_code == 302
    assert is_signed_out(admin)  # their own role changed: sign in again
    other = sign_in(app, "other@pathways.test")
    answer = post(other, f"/admin/users/{user_id(app, 'other@pathways.test')}/deactivate")
    assert answer.status_code == 422 and LAST_ADMIN in answer.text


def test_every_users_form_needs_the_csrf_token(app, staff, admin):
    staff("analyst")
    number = user_id(app, "analyst@pathways.test")
    for url, data in [
        ("/admin/users", {"email": "x@example.org", "role": "admin"}),
        (f"/admin/users/{number}/role", {"role": "admin"}),
        (f"/admin/users/{number}/deactivate", {}),
        (f"/admin/users/{number}/password", {}),
    ]:
        assert admin.post(url, data=data).status_code == 400, url
    page = BeautifulSoup(admin.get("/admin/users").text, "html.parser")
    for form in page.select("form[method=post]"):
        assert form.select_one("input[name=csrf_token]"), form["action"]
    with app.app_context():
        assert db.session.get(User, number).role == "analyst"
    assert not any(re.match("user ", action) for _, action, _ in audit_events(app))
