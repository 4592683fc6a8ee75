"""The JSON API under /api/v1/: one NinjaAPI, a router per domain app, one error format.

Integrations authenticate with a bearer token (`homecoming token create`, or the owner's own
tokens page), which expires and is read-only or read-write; a logged-in browser
session works too. Permissions are the same as the pages', because both call the same services
and selectors."""

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.security import HttpBearer, SessionAuth

from homecoming.access.policy import AccessDenied
from homecoming.accounts import tokens
from homecoming.accounts.middleware import fully_logged_in
from homecoming.core.forms import messages_by_field
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


api = NinjaAPI(
    title="Homecoming",
    version="1",
    description="The center's record, with the same access rules and audit trail as the pages.",
    auth=[TokenAuth(), VerifiedSession()],
    urls_namespace="api",
)


@api.exception_handler(AccessDenied)
def access_denied(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(ValidationError)
def invalid(request, exc):
    return api.create_response(
        request,
        {"detail": " ".join(exc.messages), "errors": messages_by_field(exc)},
        status=400,
    )


@api.exception_handler(KeyMissing)
def no_key(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=503)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


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
