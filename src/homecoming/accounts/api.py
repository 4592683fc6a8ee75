"""Staff accounts and API tokens over JSON: what the system administrator's account pages and a
staff member's own tokens page do, through the same services, so the same refusals hold and the
oversight body and the program director are told of the same changes."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.forms import messages_by_field
from homecoming.core.schemas import Error, Pages, problem

from . import selectors, services, tokens
from .models import ApiToken, TokenScope, User

router = Router(tags=["accounts"])


class AccountOut(Schema):
    """A staff account as the account pages show it; never its password."""

    id: int
    username: str
    full_name: str
    email: str
    role: str
    is_active: bool
    is_prescriber: bool
    is_medical_lead: bool
    is_trainee: bool
    takes_new_residents: bool
    must_change_password: bool = Field(
        description="Someone else chose the password: the owner replaces it at their log-in."
    )
    second_factor_enrolled: bool = Field(
        description="False: they enrol an authenticator app at their next log-in."
    )
    locked: bool = Field(description="Locked out by repeated failed log-ins (see unlock).")
    date_joined: dt.datetime
    last_login: dt.datetime | None


class AccountIn(Schema):
    username: str = Field(description="Letters, digits and @ . + - _; it never changes.")
    full_name: str
    email: str = ""
    role: str = Field(description="Any staff role: caseworker, clinician, supervisor, ...")
    password: str = Field(
        description="The first password (12 characters at least, not a common one): the "
        "colleague replaces it at their first log-in."
    )
    is_prescriber: bool = False
    is_medical_lead: bool = False
    is_trainee: bool = False
    takes_new_residents: bool = True
    same_name_ok: bool = Field(
        False,
        description="Create it even if another account has the same full name (after a 409).",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "username": "mhale",
                    "full_name": "Morgan Hale",
                    "email": "m.hale@center.example",
                    "role": "clinician",
                    "password": "a long first passphrase 7",
                    "is_prescriber": False,
                    "is_trainee": False,
                    "takes_new_residents": True,
                }
            ]
        }
    }


class AccountPatch(Schema):
    """Only the fields sent are changed; the username never is."""

    full_name: str = None
    email: str = None
    role: str = None
    is_prescriber: bool = None
    is_medical_lead: bool = None
    is_trainee: bool = None
    takes_new_residents: bool = None

    model_config = {
        "json_schema_extra": {
            "examples": [{"email": "m.hale@center.example", "takes_new_residents": False}]
        }
    }


class TokenOut(Schema):
    """An API token; never its value after the moment it is made, never its digest."""

    id: int
    name: str
    prefix: str = Field(description="The token's first characters after hc_, to recognise it.")
    scope: TokenScope
    user: str = Field(description="The username the token acts for.")
    created_by: str | None = Field(description="Who made it; null: the operator's command line.")
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @staticmethod
    def resolve_user(token):
        return token.user.username

    @staticmethod
    def resolve_created_by(token):
        return token.created_by.username if token.created_by_id else None


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself: shown this once, never again.")


class TokenIn(Schema):
    name: str = Field(description="What it is for (the integration's name).")
    scope: TokenScope = TokenScope.READ
    days: int = Field(tokens.DEFAULT_DAYS, description=f"Days valid, 1-{tokens.MAX_DAYS}.")
    secret: str = Field(
        description="Your password or a current code of your authenticator app: a token acts "
        "in your name."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"name": "ward dashboard", "scope": "read", "days": 30, "secret": "492817"}
            ]
        }
    }


class SameNameError(Error):
    """Another account has this full name."""


def _account(request, user_id) -> User:
    try:
        return selectors.staff_account(request.auth, user_id)
    except User.DoesNotExist as exc:
        raise Http404(f"No staff account #{user_id}.") from exc


def _target(user_id) -> User:
    """The account an action names, as the pages' action buttons find it (a resident's log-in
    too: the service refuses it with the reason)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Http404(f"No account #{user_id}.")
    return user


def _acted(request, user_id) -> User:
    """The account after an action, as the list shows it (a resident's log-in never reaches
    here: the services refuse it)."""
    return _account(request, user_id)


@router.get("/accounts", response={200: list[AccountOut], 403: Error})
@paginate(Pages)
def list_accounts(request):
    """List the staff accounts. By role then username. The system administrator and the program
    director only (403 for anyone else, on the ledger). Resident log-ins are not listed: they
    carry residents' names, and are managed from the resident's chart."""
    return selectors.staff_accounts(request.auth)


@router.get("/accounts/{user_id}", response={200: AccountOut, 403: Error, 404: Error})
def get_account(request, user_id: int):
    """Read one staff account. The system administrator and the program director only; 404 for a
    resident's log-in or no account."""
    return _account(request, user_id)


@router.post(
    "/accounts",
    response={201: AccountOut, 400: Error, 403: Error, 409: SameNameError},
)
def create_account(request, payload: AccountIn):
    """Create a staff account with a first password. The colleague must replace it at their
    first log-in, and enrols their authenticator app then too. The system administrator and the
    program director only. Every account created is told to every oversight officer and
    program director (inactive ones included), whoever makes it and whatever its role: an
    account with access to the records made by the administrator for themself is seen.
    400 names every problem by field (a taken username, an unknown role, a resident role,
    a weak password, a second medical lead, ...). 409 (code `same_full_name`): another account
    has this full name; send again with `same_name_ok` to create it anyway (the oversight body
    is told of the second name)."""
    data = payload.dict()
    try:
        user = services.create_user(request.auth, **data)
    except ValidationError as exc:
        errors = messages_by_field(exc)
        if set(errors) == {"same_name_ok"}:
            return problem(409, " ".join(errors["same_name_ok"]), code="same_full_name")
        raise
    return Status(201, _account(request, user.pk))


@router.patch("/accounts/{user_id}", response={200: AccountOut, 400: Error, 403: Error, 404: Error})
def update_account(request, user_id: int, payload: AccountPatch):
    """Change a staff account. Its name, e-mail, role, flags or care-team default (never its
    username). The system administrator and the program director only. Nobody changes their
    own role, and the last active oversight officer or program director keeps theirs (400);
    every change of role is told to the oversight body and the program director."""
    user = _account(request, user_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    services.update_user(request.auth, user, changes)
    return _acted(request, user_id)


@router.post(
    "/accounts/{user_id}/deactivate",
    response={200: AccountOut, 400: Error, 403: Error, 404: Error},
)
def deactivate_account(request, user_id: int):
    """Deactivate an account: it can no longer log in, and its tokens stop working. Accounts
    are never deleted. The system administrator and the program director only. Told to the
    oversight body and the program director. 400: your own account, the last active oversight
    officer or program director, or a resident's log-in (managed from their chart)."""
    services.set_active(request.auth, _target(user_id), False)
    return _acted(request, user_id)


@router.post(
    "/accounts/{user_id}/activate",
    response={200: AccountOut, 400: Error, 403: Error, 404: Error},
)
def activate_account(request, user_id: int):
    """Reactivate an account; the alerts that waited for it are e-mailed. The system
    administrator and the program director only. Told to the oversight body and the program
    director. 400 for a resident's log-in."""
    services.set_active(request.auth, _target(user_id), True)
    return _acted(request, user_id)


@router.post(
    "/accounts/{user_id}/reset-second-factor",
    response={200: AccountOut, 400: Error, 403: Error, 404: Error},
)
def reset_second_factor(request, user_id: int):
    """Reset an account's second factor. Its authenticator app is removed: they enrol a new
    one at their next log-in. The
    system administrator and the program director only. For an account that opens records,
    told to the oversight body and the program director. 400 for a resident's log-in."""
    services.reset_second_factor(request.auth, _target(user_id))
    return _acted(request, user_id)


@router.post(
    "/accounts/{user_id}/unlock",
    response={200: AccountOut, 400: Error, 403: Error, 404: Error},
)
def unlock_account(request, user_id: int):
    """Lift a lock-out after repeated failed log-ins. The system administrator and the program
    director only; on the ledger. 400 for a resident's log-in."""
    services.unlock(request.auth, _target(user_id))
    return _acted(request, user_id)


def _staff_only(request):
    if not tokens.may_have_own(request.auth):
        raise HttpError(403, tokens.STAFF_ONLY)


@router.get("/tokens", response={200: list[TokenOut], 403: Error})
@paginate(Pages)
def my_tokens(request):
    """List your own API tokens. Newest first, revoked and expired ones included. Staff only (403,
    for a resident)."""
    _staff_only(request)
    return tokens.listed(None, request.auth)


@router.post("/tokens", response={201: NewTokenOut, 400: Error, 403: Error})
def create_token(request, payload: TokenIn):
    """Make an API token of your own. Confirm it is you first (your password or a current
    authenticator code in `secret`); the token is in the answer this once, and never shown
    again. Staff only. On the ledger. 400: a bad name, scope or number of days, or a wrong
    `secret` (code `not_confirmed`; five wrong in fifteen minutes and it stops asking)."""
    _staff_only(request)
    user = request.auth
    wrong = tokens.confirmation_problem(user, payload.secret)
    if wrong:
        return problem(400, wrong, code="not_confirmed", errors={"secret": [wrong]})
    token, clear = tokens.issue(user, payload.name, scope=payload.scope, days=payload.days, by=user)
    token = ApiToken.objects.select_related("user", "created_by").get(pk=token.pk)
    token.token = clear
    return Status(201, token)


@router.get("/tokens/all", response={200: list[TokenOut], 403: Error})
@paginate(Pages)
def all_tokens(request):
    """List every API token of every account. Newest first: the system administrator and the
    program director only (403, on the ledger, for anyone else)."""
    policy.require(request.auth, Action.MANAGE_ACCOUNTS)
    return tokens.listed(request.auth)


@router.post("/tokens/{token_id}/revoke", response={200: TokenOut, 403: Error, 404: Error})
def revoke_token(request, token_id: int):
    """Revoke an API token. Its owner, or the system administrator or program director (anyone else:
    403, on the ledger). It stops working at once; revoking one already revoked changes
    nothing."""
    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None:
        raise Http404(f"No token #{token_id}.")
    tokens.revoke(token, request.auth)
    return ApiToken.objects.select_related("user", "created_by").get(pk=token_id)
