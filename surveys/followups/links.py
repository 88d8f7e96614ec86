"""Personal links `/f/<token>`: 32 random URL-safe bytes; only the SHA-256 is stored."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from ..answering.drafts import token_hash
from ..extensions import db
from ..models import Invitation, PersonalLink


def new_link(invitation: Invitation) -> str:
    """A fresh token for this invitation (one per message); the caller commits."""
    token = secrets.token_urlsafe(32)
    db.session.add(PersonalLink(token_hash=token_hash(token), invitation_id=invitation.id))
    return token


def find_invitation(token: str) -> Invitation | None:
    # Tokens are ~43 characters; anything much longer is not one of ours.
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        select(Invitation)
        .join(PersonalLink, PersonalLink.invitation_id == Invitation.id)
        .where(PersonalLink.token_hash == token_hash(token))
    )
