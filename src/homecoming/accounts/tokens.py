"""API tokens: issued once in clear, stored as SHA-256, looked up by digest.

A token is a password that never expires unless it is made to: each has an end (default 90
days, at most a year) and a scope (read, or read and write). Issuing and revoking are ledger
entries with the token's version (never its digest). The owner sees and revokes their own; the
system administrator (and the program director) every one. A token made at the command line for
a staff member is told to the oversight body: it is a way into that person's records that the
person did not make."""

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.ledger import services as ledger
from homecoming.ledger.models import Entry, Outcome

from . import overseers
from .models import ApiToken, Role, TokenScope
from .reauth import confirm_identity

TOKEN_PREFIX = "hc_"
DEFAULT_DAYS = 90
MAX_DAYS = 365
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Wrong confirmations, per person, before the owner's token page (and the API) stop asking for a
# while: an open session must not become a way to guess the person's password.
CONFIRM_ATTEMPTS = 5
CONFIRM_LOCKOUT = dt.timedelta(minutes=15)
CONFIRM = "token.create"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_request(name: str, scope: str, days) -> tuple[str, str, int]:
    """Every problem with a token request at once (ValidationError by field)."""
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Say what the token is for."
    elif len(name) > 100:
        errors["name"] = "Use at most 100 characters."
    if scope not in TokenScope.values:
        errors["scope"] = f"Unknown scope {scope!r}; choose one of: {', '.join(TokenScope.values)}."
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_DAYS:
        errors["days"] = f"A token lives from 1 to {MAX_DAYS} days."
    if errors:
        raise ValidationError(errors)
    return name, scope, days


def issue(
    user,
    name: str,
    *,
    scope: str = TokenScope.WRITE,
    days: int = DEFAULT_DAYS,
    by=None,
    operator: str | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for `user`; the clear value is returned here and never again. `by` is who
    issued it (the owner on their page; None at the command line, where `operator` names the
    person at the server and the oversight body is told)."""
    name, scope, days = check_request(name, scope, days)
    lookup = secrets.token_hex(4)
    clear = f"{TOKEN_PREFIX}{lookup}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=lookup,
            digest=_digest(clear),
            scope=scope,
            expires_at=timezone.now() + dt.timedelta(days=days),
            created_by=by,
        )
        ledger.record_write(by, "token.create", token, resident_id=None, purpose="operations")
        if operator is not None and user.role != Role.RESIDENT:
            overseers.tell(
                None,
                f"issued an API token ({TokenScope(scope).label.lower()}, {days} days, "
                f"{token.prefix}…) for the {user.get_role_display().lower()} account "
                f"{user.username!r} ({user.full_name}).",
                operator=operator,
            )
    return token, clear


STAFF_ONLY = "API tokens are for staff accounts."


def may_have_own(user) -> bool:
    """Whether `user` makes and lists tokens of their own: staff only (a resident's log-in is
    not an integration's)."""
    return user.is_staff_member


def confirmation_problem(user, secret: str) -> str:
    """Why `user` may not make a token of their own now, or empty if they confirmed it is them
    (their password or a current authenticator code). A wrong answer is a denied entry in
    their name; five in fifteen minutes stop the asking."""
    recent = Entry.objects.filter(
        actor=user,
        action=CONFIRM,
        outcome=Outcome.DENIED,
        time__gte=timezone.now() - CONFIRM_LOCKOUT,
    ).count()
    if recent >= CONFIRM_ATTEMPTS:
        return "Too many wrong codes: try again in 15 minutes."
    if confirm_identity(user, secret):
        return ""
    policy.record_denial(user, CONFIRM, ledger.Target.of(user))
    return "That is not your password or a current code from your authenticator app."


def find(clear: str):
    """The live token a presented value is (not revoked, not expired, its user active), or
    None."""
    if not clear or not clear.startswith(TOKEN_PREFIX):
        return None
    return (
        ApiToken.objects.select_related("user")
        .filter(
            digest=_digest(clear),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )


def authenticate(clear: str, method: str = "GET"):
    """The active user a presented token belongs to, or None; one lookup. A read token
    presented with a write method is refused (`refuse_write`: AccessDenied, on the ledger)."""
    token = find(clear)
    if token is None:
        return None
    refuse_write(token, method)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def refuse_write(token: ApiToken, method: str):
    """A read token on a write: a denied entry in the owner's name, and AccessDenied (403)."""
    if token.scope != TokenScope.READ or method in SAFE_METHODS:
        return
    policy.refuse(
        token.user,
        "token.write_refused",
        ledger.Target.of(token),
        reason=f"The token {token.prefix}… is read-only: it cannot change data.",
    )


def may_manage(actor, token: ApiToken) -> bool:
    if actor is None:  # the operator at the server
        return True
    if token.user_id == actor.pk:
        return True
    return policy.decide(actor, Action.MANAGE_ACCOUNTS).allowed


def listed(actor, user=None):
    """The tokens `actor` may see: their own, or (account managers) everyone's or `user`'s."""
    tokens = ApiToken.objects.select_related("user", "created_by").order_by("-created_at", "-pk")
    if actor is not None and not policy.decide(actor, Action.MANAGE_ACCOUNTS).allowed:
        return tokens.filter(user=actor)
    return tokens.filter(user=user) if user is not None else tokens


def revoke(token: ApiToken, actor=None, *, operator: str | None = None) -> bool:
    """Revoke a token: its owner, an account manager, or the operator (actor None). Anyone else
    is refused with a denied entry. Returns False if it was already revoked."""
    if not may_manage(actor, token):
        reason = "Only its owner or the system administrator revokes a token."
        policy.refuse(actor, "token.revoke", ledger.Target.of(token), reason=reason)
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            return False
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        ledger.record_write(actor, "token.revoke", token, resident_id=None, purpose="operations")
    return True
