"""Device cookies: the browser a person has signed in from before keeps its own count.

Guessing is slowed by counting sign-in attempts per address and account. Alone, that
lets a guesser who shares the owner's address (an office, a university, everyone
behind the load balancer when proxies are not trusted) fill the counters and lock the
owner out. Letting the right password through anyway would not do: a throttled guesser
would learn from the answer which guess was right.

So, as OWASP's "device cookies" recommend: after a right password the browser gets a
signed cookie naming the account and a random device number. An attempt that carries a
valid cookie for the account it names is counted under that device alone, never under
the address: what others typed cannot lock this browser out, and a stolen cookie buys
only this device's few tries. Without the cookie (a new browser, a guesser), the address
counts as before.

The cookie holds no email, only the account's number; it lives on the sign-in path only.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..models import User

COOKIE = "pathways_device"
LIFETIME = timedelta(days=180)
_SALT = "sign-in device"


def _signer() -> URLSafeTimedSerializer:
    key = current_app.secret_key
    if not key:  # create_app always sets one
        raise RuntimeError("the application has no secret key to sign device cookies with")
    return URLSafeTimedSerializer(key, salt=_SALT)


def device_of(user: User | None) -> str | None:
    """This browser's device number when its cookie is genuine, recent and for `user`."""
    value = request.cookies.get(COOKIE)
    if user is None or not value:
        return None
    try:
        payload = _signer().loads(value, max_age=int(LIFETIME.total_seconds()))
    except BadSignature:  # forged, altered, expired, or signed with an earlier key
        return None
    if not isinstance(payload, dict) or payload.get("account") != user.id:
        return None
    device = payload.get("device")
    return device if isinstance(device, str) else None


def remember(response: Response, user: User) -> None:
    """After a right password: a fresh device cookie for this browser and account."""
    value = _signer().dumps({"account": user.id, "device": secrets.token_urlsafe(16)})
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(LIFETIME.total_seconds()),
        path=request.path,  # the sign-in page only: no other request carries it
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
