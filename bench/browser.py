"""A respondent's browser on loopback, standard library only: cookies, CSRF, redirects.

It fills the bundled intake the way tests/conftest.py's Respondent does (GET the page,
POST it with its CSRF token, follow the redirect), so the server does all the work a real
submission costs. The draft token is read back from the session cookie: its SHA-256 is
the stored response's `submission_key`, which is how an acknowledgement is matched to
exactly one row.
"""

from __future__ import annotations

import functools
import hashlib
import http.client
import json
import re
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SURVEY = "intake"
THANKS_PATH = f"/s/{SURVEY}/thanks"
# Errors a browser would answer with "try again": the server went away or is restarting.
TRANSIENT = (OSError, http.client.HTTPException)


def intake_pages(number: int) -> list[tuple[dict, str]]:
    """The answers that complete the bundled intake (as in the public survey test), page by
    page; `years_programming` varies with `number` so rows are told apart at a glance."""
    return [
        ({"consent": "y"}, "next"),
        ({"programme": "gsoc", "project_area": ["docs", "code"]}, "next"),
        ({"prior_contributions": "never", "years_programming": str(number % 71)}, "next"),
        ({"age_range": "18-24", "gender": ["woman"], "country": "KEN"}, "next"),
        ({"qualification_earned": "ED6", "relative_income": "below"}, "submit"),
    ]


def expected_answers(number: int) -> dict:
    """What Pathways stores for `intake_pages(number)`: codes, typed values."""
    return {
        "consent": True,
        "programme": "gsoc",
        "project_area": ["docs", "code"],
        "prior_contributions": "never",
        "years_programming": number % 71,
        "age_range": "18-24",
        "gender": ["woman"],
        "country": "KEN",
        "qualification_earned": "ED6",
        "relative_income": "below",
    }


@dataclass
class Page:
    status: int
    path: str
    body: str
    size: int


class ServerGone(Exception):
    """The server did not answer within the time this browser is willing to retry."""


class Browser:
    """One person's browser: a connection, a cookie jar, and patience for retries.

    Cookies are sent whatever their Secure flag: on loopback we stand where the TLS
    proxy would. `retry_for` seconds of transient errors (a restarting server, a 503)
    are retried, as a person pressing reload would; 0 means fail at once.
    """

    def __init__(self, base_url: str, retry_for: float = 0.0, timeout: float = 60.0) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.timeout = timeout
        self.retry_for = retry_for
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None
        self.retries = 0
        # HTTP requests sent, redirects included: what one submission costs the server.
        self.requests = 0

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _send(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, self.timeout)
        self.requests += 1
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except TRANSIENT:
            self.close()
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.close()
        return response.status, response.headers.get("Location"), data

    def request(
        self, method: str, path: str, form: dict | None = None, json_body: object = None
    ) -> Page:
        """One request and the redirects after it (POST/redirect/GET), as a browser does."""
        body, headers = None, {"Accept-Language": "en", "Accept": "text/html"}
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        for _hop in range(10):
            status, location, data = self._send(method, path, body, headers)
            if status not in (301, 302, 303) or not location:
                return Page(status, path, data.decode(errors="replace"), len(data))
            split = urlsplit(location)
            path = split.path + (f"?{split.query}" if split.query else "")
            method, body = "GET", None
            headers.pop("Content-Type", None)
        raise http.client.HTTPException(f"too many redirects at {path}")

    def patiently(self, method: str, path: str, form: dict | None = None) -> Page:
        """`request`, retried on transient errors and 5xx for `retry_for` seconds."""
        deadline = time.monotonic() + self.retry_for
        while True:
            try:
                page = self.request(method, path, form)
            except TRANSIENT as error:
                problem = f"{type(error).__name__}: {error}"
            else:
                if page.status < 500:
                    return page
                problem = f"HTTP {page.status} at {path}"
            if time.monotonic() >= deadline:
                raise ServerGone(problem)
            self.retries += 1
            time.sleep(0.2)

    def draft_token(self, secret_key: str) -> str | None:
        """This browser's intake draft token, read from its signed session cookie."""
        value = self.cookies.get("session")
        if value is None:
            return None
        session = _session_serializer(secret_key).loads(value)
        return session.get("drafts", {}).get(SURVEY)


@functools.cache
def _session_serializer(secret_key: str):
    """Flask's own cookie serializer, so the cookie format is never re-implemented here."""
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    app = Flask("bench")
    app.secret_key = secret_key
    return SecureCookieSessionInterface().get_signing_serializer(app)


def submission_key(token: str) -> str:
    """The stored response's key for a draft token (surveys.answering.drafts.token_hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Submission:
    number: int
    key: str | None
    acknowledged: bool
    seconds: float
    error: str | None = None


def fill_intake(browser: Browser, number: int, secret_key: str) -> Submission:
    """Complete the intake once in a fresh session; acknowledged on reaching the thank-you
    page. The draft's key is kept even when the submit fails, to find what was stored."""
    browser.cookies.clear()
    started = time.perf_counter()
    key = None
    try:
        page = browser.patiently("GET", f"/s/{SURVEY}")
        for index, (answers, action) in enumerate(intake_pages(number), start=1):
            token = CSRF.search(page.body)
            if page.status != 200 or token is None:
                raise ServerGone(f"page {index}: HTTP {page.status}, no form")
            form = {"csrf_token": token.group(1), "action": action, **answers}
            page = browser.patiently("POST", f"/s/{SURVEY}?page={index}", form)
            draft = browser.draft_token(secret_key)
            key = submission_key(draft) if draft else key
        acknowledged = page.status == 200 and page.path == THANKS_PATH
        error = None if acknowledged else f"ended at {page.path} with HTTP {page.status}"
    except ServerGone as error_:
        acknowledged, error = False, str(error_)
    return Submission(number, key, acknowledged, time.perf_counter() - started, error)
