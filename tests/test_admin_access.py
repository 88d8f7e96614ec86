"""Admin sign-in, roles and the rule that every admin page needs the right role."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import AuditEvent, User
from tests.conftest import STAFF_PASSWORD, config_for, csrf_of


def admin_rules(app):
    """Every admin route, with its URL (path parameters filled with 1) and methods."""
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin.") or rule.endpoint == "admin.login":
            continue
        url = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", "1", rule.rule)
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, url, method, getattr(view, "admin_only", False)


def test_every_admin_page_needs_sign_in(app, client):
    rules = list(admin_rules(app))
    assert rules, "no admin routes found"
    for endpoint, url, method, _ in rules:
        answer = client.open(url, method=method)
        # POSTs without a CSRF token stop at 400 before any view runs; GETs go to sign-in.
        if method == "GET":
            assert answer.status_code == 302, (endpoint, answer.status_code)
            assert answer.headers["Location"].startswith("/admin/login"), endpoint
        else:
            assert answer.status_code in (302, 400), (endpoint, answer.status_code)


def test_an_analyst_gets_403_on_every_admin_only_page(app, signed_in):
    analyst = signed_in("analyst")
    token = csrf_of(analyst.get("/admin/").text)
    for endpoint, url, method, admin_only in admin_rules(app):
        if endpoint == "admin.logout":
            continue  # would end this very session
        data = {"csrf_token": token} if method == "POST" else None
        answer = analyst.open(url, method=method, data=data)
        if admin_only:
            assert answer.status_code == 403, endpoint
        else:
            assert answer.status_code not in (302, 403), (endpoint, answer.status_code)


def test_admins_see_everything_in_the_menu_analysts_only_theirs(signed_in):
    admin_page = signed_in("admin").get("/admin/").text
    analyst_page = signed_in("analyst").get("/admin/").text
    assert "Sign out" in admin_page and "admin@pathways.test (admin)" in admin_page
    assert "Audit log" not in analyst_page


def sign_in(client, email, password):
    token = csrf_of(client.get("/admin/login").text)
    return client.post(
        "/admin/login", data={"email": email, "password": password, "csrf_token": token}
    )


def test_wrong_password_and_unknown_account_read_the_same(app, client, staff):
    staff("admin")
    wrong = sign_in(client, "admin@pathways.test", "not the password")
    unknown = sign_in(client, "nobody@pathways.test", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "The email or the password is not right." in wrong.text

    # The same page, but for the address typed and the (time-stamped) CSRF token.
    def blank(text: str) -> str:
        return re.sub(r'value="[^"]*"', 'value=""', text)

    assert blank(wrong.text) == blank(unknown.text)
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions == ["failed sign-in", "failed sign-in"]


def test_failed_sign_ins_are_rate_limited_per_address_and_account(app, staff):
    staff("admin")
    office = {"REMOTE_ADDR": "10.1.1.1"}
    guesser = app.test_client()
    statuses = []
    for _ in range(6):
        token = csrf_of(guesser.get("/admin/login", environ_base=office).text)
        statuses.append(
            guesser.post(
                "/admin/login",
                data={"email": "admin@pathways.test", "password": "guess", "csrf_token": token},
                environ_base=office,
            ).status_code
        )
    assert statuses == [401] * 5 + [429]
    # A colleague behind the same office address, with her own account, is not locked out.
    staff("analyst", "colleague@pathways.test")
    colleague = app.test_client()
    token = csrf_of(colleague.get("/admin/login", environ_base=office).text)
    answer = colleague.post(
        "/admin/login",
        data={"email": "colleague@pathways.test", "password": STAFF_PASSWORD, "csrf_token": token},
        environ_base=office,
    )
    assert answer.status_code == 302


def attempt(client, email: str, password: str, environ: dict) -> int:
    token = csrf_of(client.get("/admin/login", environ_base=environ).text)
    form = {"email": email, "password": password, "csrf_token": token}
    return client.post("/admin/login", data=form, environ_base=environ).status_code


def test_the_right_password_is_refused_too_while_its_account_is_throttled(app, staff):
    """Otherwise the answer to a throttled guess would still say whether it was right."""
    email = staff("admin")
    guesser, office = app.test_client(), {"REMOTE_ADDR": "10.1.1.2"}
    assert [attempt(guesser, email, "guess", office) for _ in range(6)] == [401] * 5 + [429]
    assert attempt(guesser, email, STAFF_PASSWORD, office) == 429


def sign_out(client) -> None:
    client.post("/admin/logout", data={"csrf_token": csrf_of(client.get("/admin/").text)})


def test_a_browser_that_signed_in_before_is_not_locked_out_by_a_guesser_at_its_address(app, staff):
    """OWASP's device cookies: the owner's browser is counted on its own."""
    email = staff("admin")
    office = {"REMOTE_ADDR": "10.1.1.5"}
    owner = app.test_client()
    assert attempt(owner, email, STAFF_PASSWORD, office) == 302
    sign_out(owner)
    # Someone at the same address guesses until refused; the right password from their
    # browser is refused too (no oracle) ...
    guesser = app.test_client()
    assert [attempt(guesser, email, "guess", office) for _ in range(6)] == [401] * 5 + [429]
    assert attempt(guesser, email, STAFF_PASSWORD, office) == 429
    # ... but the owner's browser, with its device cookie, gets in.
    assert attempt(owner, email, STAFF_PASSWORD, office) == 302


def test_a_device_cookie_counts_only_for_its_own_account_and_only_if_genuine(app, staff):
    email = staff("admin")
    other = staff("analyst", "colleague@pathways.test")
    office = {"REMOTE_ADDR": "10.1.1.6"}
    colleague = app.test_client()
    assert attempt(colleague, other, STAFF_PASSWORD, office) == 302
    sign_out(colleague)
    cookie = colleague.get_cookie("pathways_device", path="/admin/login")
    assert cookie is not None and cookie.http_only and email not in cookie.value
    # The colleague's cookie does not lift the address's limit on the admin's account.
    assert [attempt(colleague, email, "guess", office) for _ in range(6)] == [401] * 5 + [429]
    # A cookie altered by hand is no cookie at all.
    forger = app.test_client()
    forger.set_cookie("pathways_device", cookie.value[:-2] + "xx", path="/admin/login")
    assert attempt(forger, email, STAFF_PASSWORD, office) == 429


def test_a_browser_with_a_device_cookie_gets_only_its_own_few_guesses(app, staff):
    email = staff("admin")
    owner, home = app.test_client(), {"REMOTE_ADDR": "10.1.1.7"}
    assert attempt(owner, email, STAFF_PASSWORD, home) == 302
    sign_out(owner)
    assert [attempt(owner, email, "guess", home) for _ in range(6)] == [401] * 5 + [429]
    assert attempt(owner, email, STAFF_PASSWORD, home) == 429
    # Another browser at the same address was not charged for the device's guesses.
    assert attempt(app.test_client(), email, STAFF_PASSWORD, home) == 302


def test_the_right_password_forgives_the_owners_typos(app, staff):
    email = staff("admin")
    home = {"REMOTE_ADDR": "10.1.1.4"}
    assert [attempt(app.test_client(), email, "typo", home) for _ in range(4)] == [401] * 4
    assert attempt(app.test_client(), email, STAFF_PASSWORD, home) == 302
    assert [attempt(app.test_client(), email, "typo", home) for _ in range(5)] == [401] * 5


def test_one_address_cannot_try_account_after_account(app, staff):
    staff("admin")
    guesser, address = app.test_client(), {"REMOTE_ADDR": "10.1.1.3"}
    statuses = [attempt(guesser, f"user{i}@pathways.test", "guess", address) for i in range(11)]
    assert statuses == [401] * 10 + [429]
    # Refused attempts leave no trace: the audit log cannot be filled from one address.
    with app.app_context():
        assert len(db.session.scalars(select(AuditEvent)).all()) == 10


def test_an_unknown_account_is_not_written_to_the_audit_log_as_typed(app, client, staff):
    staff("admin")
    sign_in(client, "<b>call 555-0100</b>", "not the password")
    sign_in(client, "Admin@Pathways.test", "not the password")
    with app.app_context():
        actors = db.session.scalars(select(AuditEvent.actor).order_by(AuditEvent.id)).all()
    assert actors == ["unknown account", "admin@pathways.test"]


def test_behind_the_load_balancer_a_guesser_does_not_lock_staff_out(
    app, app_factory, database, staff
):
    email = staff("admin")
    config = config_for(*database)
    config.trusted_proxies = 1
    balanced = app_factory(config)
    balancer = "10.0.0.1"  # every request reaches Pathways from the load balancer
    guessing = {"REMOTE_ADDR": balancer, "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    statuses = [attempt(balanced.test_client(), email, "guess", guessing) for _ in range(11)]
    assert statuses[-1] == 429
    at_work = {"REMOTE_ADDR": balancer, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert attempt(balanced.test_client(), email, STAFF_PASSWORD, at_work) == 302


def test_sign_in_goes_only_to_pages_of_this_site(client, staff):
    staff("admin")
    token = csrf_of(client.get("/admin/login").text)
    answer = client.post(
        "/admin/login?next=https://evil.example/admin",
        data={"email": "admin@pathways.test", "password": STAFF_PASSWORD, "csrf_token": token},
    )
    assert answer.headers["Location"] == "/admin/"


def test_sign_out_ends_the_session(signed_in):
    admin = signed_in("admin")
    token = csrf_of(admin.get("/admin/").text)
    assert admin.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert admin.get("/admin/").status_code == 302


def test_the_session_expires(app, signed_in):
    admin = signed_in("admin")
    assert app.permanent_session_lifetime.total_seconds() == 8 * 3600
    cookie = admin.get_cookie("session")
    assert cookie.expires is not None  # a dated cookie, not one that lives forever


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["new@example.org", "--role", "analyst", "--password-stdin"],
            "short\n",
            "at least 12 characters",
        ),
        (
            ["not-an-email", "--role", "admin", "--password-stdin"],
            STAFF_PASSWORD,
            "not a valid email",
        ),
        (["x@example.org", "--role", "boss"], "", "Invalid value for '--role'"),
    ],
)
def test_users_create_refuses_bad_input(runner, args, stdin, message):
    result = runner.invoke(args=["users", "create", *args], input=stdin)
    assert result.exit_code != 0 and message in result.output


def test_users_create_makes_a_user_with_a_hashed_password(app, runner, client):
    result = runner.invoke(
        args=["users", "create", "Lead@Example.org", "--role", "admin", "--password-stdin"],
        input=STAFF_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User))
    assert user.email == "lead@example.org" and user.role == "admin"
    assert user.password_hash.startswith("scrypt:") and STAFF_PASSWORD not in user.password_hash
    assert sign_in(client, "LEAD@example.org", STAFF_PASSWORD).status_code == 302
    again = runner.invoke(
        args=["users", "create", "lead@example.org", "--role", "analyst", "--password-stdin"],
        input=STAFF_PASSWORD + "\n",
    )
    assert again.exit_code == 1 and "already a user" in again.output
