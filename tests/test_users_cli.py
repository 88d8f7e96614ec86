"""`flask users list|deactivate|reactivate|set-role|reset-password`, as an operator uses them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import AuditEvent, User
from tests.conftest import STAFF_PASSWORD, csrf_of

LAST_ADMIN = "There must always be at least one active admin."


def users(runner, *args: str, stdin: str | None = None):
    return runner.invoke(args=["users", *args], input=stdin)


def can_sign_in(app, email: str, password: str = STAFF_PASSWORD) -> bool:
    client = app.test_client()
    token = csrf_of(client.get("/admin/login").text)
    answer = client.post(
        "/admin/login", data={"email": email, "password": password, "csrf_token": token}
    )
    return answer.status_code == 302


def is_signed_out(client) -> bool:
    return client.get("/admin/").status_code == 302


def user(app, email: str) -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def cli_events(app) -> list[tuple[str, dict]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.action, AuditEvent.details)
            .where(AuditEvent.actor == "cli")
            .order_by(AuditEvent.id)
        )
        return [tuple(row) for row in rows]


def test_list_shows_every_user_with_role_state_and_last_sign_in(app, runner, staff, signed_in):
    signed_in("admin")
    staff("analyst", "zoe@pathways.test")
    users(runner, "deactivate", "zoe@pathways.test")
    result = users(runner, "list")
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert lines[0] == ["email", "role", "status", "last", "sign-in"]
    assert lines[1][:3] == ["admin@pathways.test", "admin", "active"]
    assert len(lines[1]) == 5  # date and time of the sign-in
    assert lines[2] == ["zoe@pathways.test", "analyst", "deactivated", "never"]


def test_deactivate_ends_sessions_and_sign_ins_until_reactivated(app, runner, signed_in):
    analyst = signed_in("analyst")
    result = users(runner, "deactivate", "Analyst@Pathways.test")
    assert result.exit_code == 0 and "deactivated analyst@pathways.test" in result.output
    assert is_signed_out(analyst)
    assert not can_sign_in(app, "analyst@pathways.test")
    assert users(runner, "reactivate", "analyst@pathways.test").exit_code == 0
    assert is_signed_out(analyst)  # the old session stays ended
    assert can_sign_in(app, "analyst@pathways.test")
    assert cli_events(app) == [
        ("user deactivated", {"email": "analyst@pathways.test"}),
        ("user reactivated", {"email": "analyst@pathways.test"}),
    ]


def test_set_role_changes_the_role_and_ends_sessions(app, runner, signed_in):
    analyst = signed_in("analyst")
    result = users(runner, "set-role", "analyst@pathways.test", "admin")
    assert result.exit_code == 0, result.output
    assert user(app, "analyst@pathways.test").role == "admin"
    assert is_signed_out(analyst)
    assert users(runner, "set-role", "analyst@pathways.test", "boss").exit_code == 2
    assert cli_events(app) == [
        ("user role change", {"email": "analyst@pathways.test", "role": "admin"})
    ]


def test_reset_password_prints_a_new_password_once(app, runner, signed_in):
    analyst = signed_in("analyst")
    result = users(runner, "reset-password", "analyst@pathways.test")
    assert result.exit_code == 0, result.output
    password = result.output.strip()
    assert len(password) >= 12 and "\n" not in password
    assert is_signed_out(analyst)
    assert not can_sign_in(app, "analyst@pathways.test")
    assert can_sign_in(app, "analyst@pathways.test", password)
    assert cli_events(app) == [("user password reset", {"email": "analyst@pathways.test"})]
    assert password not in repr(cli_events(app))


def test_reset_password_reads_one_from_stdin(app, runner, staff):
    staff("analyst")
    short = users(
        runner, "reset-password", "analyst@pathways.test", "--password-stdin", stdin="x\n"
    )
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    chosen = "a long enough new password"
    result = users(
        runner, "reset-password", "analyst@pathways.test", "--password-stdin", stdin=chosen + "\n"
    )
    assert result.exit_code == 0 and chosen not in result.output
    assert can_sign_in(app, "analyst@pathways.test", chosen)


@pytest.mark.parametrize(
    "args",
    [
        ["deactivate", "nobody@pathways.test"],
        ["reactivate", "nobody@pathways.test"],
        ["set-role", "nobody@pathways.test", "admin"],
        ["reset-password", "nobody@pathways.test"],
    ],
)
def test_an_unknown_user_is_an_error(runner, args):
    result = users(runner, *args)
    assert result.exit_code == 1 and "there is no user nobody@pathways.test" in result.output


def test_the_last_active_admin_is_never_demoted_or_deactivated(app, runner, staff):
    staff("admin")
    staff("admin", "former@pathways.test")
    assert users(runner, "deactivate", "former@pathways.test").exit_code == 0
    for args in (
        ["deactivate", "admin@pathways.test"],
        ["set-role", "admin@pathways.test", "analyst"],
    ):
        result = users(runner, *args)
        assert result.exit_code == 1 and LAST_ADMIN in result.output, result.output
    me = user(app, "admin@pathways.test")
    assert me.role == "admin" and me.active
    # Once someone else is an active admin again, stepping down is allowed.
    assert users(runner, "reactivate", "former@pathways.test").exit_code == 0
    assert users(runner, "set-role", "admin@pathways.test", "analyst").exit_code == 0
