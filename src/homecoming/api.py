"""The JSON API under /api/v1/: one NinjaAPI, a router per domain app, one error format.

Integrations authenticate with a bearer token (`homecoming token create`); a logged-in browser
session works too. Permissions are the same as the pages', because both call the same services
and selectors."""

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.security import HttpBearer, django_auth

from homecoming.access.policy import AccessDenied
from homecoming.accounts import tokens
from homecoming.core.forms import messages_by_field


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = tokens.authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Homecoming",
    version="1",
    description="The center's record, with the same access rules and audit trail as the pages.",
    auth=[TokenAuth(), django_auth],
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


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


api.add_router("/", "homecoming.residents.api.router")
