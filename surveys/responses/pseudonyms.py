"""The pseudonym a response is shown under in the admin area, in the manner of an export's
`pid`: 16 hex digits, the same for every response of one person, and nothing on any page
leads from it back to the person.

It is a keyed hash (HMAC-SHA256) of the participant's id under a key derived from the
application's SECRET_KEY for this one use: without the key no one can compute a person's
pseudonym from their id, and the pages never show the id. It never equals an export's pid,
which is drawn at random for each bundle and never kept. A response answered without a
personal link (the public intake) has no person behind it: it is its own pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac

# Separates this key from every other use of SECRET_KEY (sessions, CSRF).
PURPOSE = b"pathways: pseudonym of a response in the admin area"
# As long as an export's pid (exports/people.py PID_LENGTH).
LENGTH = 16


def pseudonym(secret_key: str, participant_id: int | None, response_id: int) -> str:
    """The person's pseudonym, or the response's own when it has no participant."""
    key = hmac.new(secret_key.encode(), PURPOSE, hashlib.sha256).digest()
    subject = f"participant:{participant_id}" if participant_id else f"response:{response_id}"
    return hmac.new(key, subject.encode(), hashlib.sha256).hexdigest()[:LENGTH]
