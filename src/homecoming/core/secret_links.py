"""Links that are their own key (a follow-up check-in, a calendar feed): a 256-bit secret in the
address, of which only the SHA-256 is stored, so a copy of the database opens none of them."""

import hashlib
import secrets


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256((secret or "").encode()).hexdigest()
