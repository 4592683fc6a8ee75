"""API tokens: issued once in clear, stored as SHA-256, looked up by digest."""

import hashlib
import secrets

from django.utils import timezone

from .models import ApiToken

TOKEN_PREFIX = "hc_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(user, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user`; the clear value is returned here and never again."""
    lookup = secrets.token_hex(4)
    clear = f"{TOKEN_PREFIX}{lookup}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, prefix=lookup, digest=_digest(clear))
    return token, clear


def authenticate(clear: str):
    """The active user a presented token belongs to, or None."""
    if not clear or not clear.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(clear), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def revoke(token: ApiToken):
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
