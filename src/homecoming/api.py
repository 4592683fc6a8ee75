"""The JSON API under /api/v1/: one NinjaAPI, a router per domain app, one error format.

Integrations authenticate with a bearer token (`homecoming token create`, or the owner's own
tokens page), which expires and is read-only or read-write; a logged-in browser
session works too. Permissions are the same as the pages', because both call the same services
and selectors."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from ninja import NinjaAPI, errors
from ninja.security import HttpBearer, SessionAuth

from homecoming.access.policy import AccessDenied
from homecoming.accounts import tokens
from homecoming.accounts.middleware import fully_logged_in
from homecoming.core import idempotency, openapi
from homecoming.core.forms import messages_by_field
from homecoming.core.schemas import CODE_OF_STATUS
from homecoming.ledger.signing import KeyMissing


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = tokens.authenticate(token, request.method)  # a read token on a write: 403
        if user is not None:
            request.user = user
        return user


class VerifiedSession(SessionAuth):
    """A browser session counts only when fully logged in (staff: second factor verified)."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and fully_logged_in(user) else None


class CenterAPI(NinjaAPI):
    """NinjaAPI with the center's operation ids and the answers every operation may give."""

    def get_openapi_operation_id(self, operation):
        # Short and stable: the app and the function ("residents_admit"), never the module path.
        return openapi.operation_id(operation)

    def get_openapi_schema(self, *args, **kwargs):
        return openapi.complete(super().get_openapi_schema(*args, **kwargs))


api = CenterAPI(
    title="Homecoming",
    version="1",
    description=openapi.DESCRIPTION,
    auth=[TokenAuth(), VerifiedSession()],
    urls_namespace="api",
)
# A write sent with an Idempotency-Key header runs once; a retry gets the first answer back.
api.add_decorator(idempotency.once_per_key, mode="view")
api.add_decorator(idempotency.replay_if_done, mode="operation")


def _error(request, status, detail, code=None, **extra):
    body = {"detail": detail, "code": code or CODE_OF_STATUS.get(status, "error"), **extra}
    return api.create_response(request, body, status=status)


@api.exception_handler(AccessDenied)
def access_denied(request, exc):
    return _error(request, 403, str(exc))


@api.exception_handler(ValidationError)
def invalid(request, exc):
    return _error(request, 400, " ".join(exc.messages), errors=messages_by_field(exc))


@api.exception_handler(errors.ValidationError)
def not_as_described(request, exc):
    """The request does not match the description (a field missing, of the wrong type, out of
    range): every problem at once, by field, as for refused input."""
    by_field = openapi.errors_by_field(exc.errors)
    said = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in by_field.items())
    return _error(
        request,
        422,
        f"The request does not match the API's description. {said}",
        code="invalid_request",
        errors=by_field,
    )


@api.exception_handler(errors.AuthenticationError)
def not_authenticated(request, exc):
    return _error(
        request,
        401,
        "Log in, or send a valid API token: Authorization: Bearer <token>.",
    )


@api.exception_handler(errors.HttpError)
def http_error(request, exc):
    # ninja's one 400 of its own: a body that is not JSON at all.
    code = "malformed_body" if exc.status_code == 400 else None
    return _error(request, exc.status_code, str(exc), code=code)


@api.exception_handler(KeyMissing)
def no_key(request, exc):
    return _error(request, 503, str(exc), code="ledger_key_missing")


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, str(exc) or "Not found.")


@api.exception_handler(ObjectDoesNotExist)
def does_not_exist(request, exc):
    """A selector's "no such row" (the probe is on the ledger already, `refuse_unknown`) that an
    operation did not turn into a 404 itself: a 404 still, never a 500."""
    return _error(request, 404, str(exc) or "Not found.")


api.add_router("/", "homecoming.residents.api.router")
api.add_router("/", "homecoming.ledger.api.router")
api.add_router("/", "homecoming.medications.api.router")
api.add_router("/", "homecoming.vitals.api.router")
api.add_router("/", "homecoming.safetyplans.api.router")
api.add_router("/", "homecoming.corrections.api.router")
api.add_router("/", "homecoming.consents.api.router")
api.add_router("/", "homecoming.sharing.api.router")
api.add_router("/", "homecoming.safety.api.router")
api.add_router("/", "homecoming.safety.decisions_api.router")
api.add_router("/", "homecoming.alerts.api.router")
api.add_router("/", "homecoming.outcomes.api.router")
api.add_router("/", "homecoming.followup.api.router")
api.add_router("/", "homecoming.discharge.api.router")
api.add_router("/", "homecoming.conversations.api.router")
api.add_router("/", "homecoming.measures.api.router")
api.add_router("/", "homecoming.accounts.api.router")
api.add_router("/", "homecoming.record.api.router")
api.add_router("/", "homecoming.oversight.api.router")
api.add_router("/", "homecoming.encounters.api.router")
