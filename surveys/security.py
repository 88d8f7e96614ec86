"""Security headers on every response, with Flask-Talisman.

The Content-Security-Policy allows nothing inline and nothing from another origin: our
pages need no script at all and style only from our own stylesheet, so an injected
answer can never run. Charts are images (self or data: URIs). HSTS is sent on HTTPS
requests; cookies are Secure in production.

Admin pages show names, emails and answers, and a personal-link page shows one person's
answers to whoever holds the link: neither may stay in a browser's or a proxy's cache (a
shared computer, a university proxy), so both are sent with `Cache-Control: no-store`.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_talisman import Talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Path prefixes of the admin area and of personal links.
PRIVATE_PATHS = ("/admin", "/f/")


def init_app(app: Flask, production: bool) -> None:
    Talisman(
        app,
        # HTTPS is the reverse proxy's job; redirecting here would break plain-HTTP
        # development and health checks.
        force_https=False,
        frame_options="DENY",
        strict_transport_security=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="same-origin",
        session_cookie_secure=production,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        x_content_type_options=True,
    )
    app.after_request(no_store_private_pages)


def no_store_private_pages(response: Response) -> Response:
    """`no-store` on every admin and personal-link response, error pages and redirects too.

    A view that chose a private cache itself keeps it: the dashboard charts, drawn from
    suppressed counts only, are cached for a few minutes in the browser that asked.
    """
    if request.path.startswith(PRIVATE_PATHS) and not response.cache_control.private:
        response.headers["Cache-Control"] = "no-store"
    return response
