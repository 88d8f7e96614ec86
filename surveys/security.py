"""Security headers on every response, with Flask-Talisman.

The Content-Security-Policy allows nothing inline and nothing from another origin: our
pages need no script at all and style only from our own stylesheet, so an injected
answer can never run. Charts are images (self or data: URIs). HSTS is sent on HTTPS
requests; cookies are Secure in production.
"""

from __future__ import annotations

from flask import Flask
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
