"""Showing a service's ValidationError on the forms the user filled in, field by field."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def apply_errors(exc: ValidationError, *forms):
    """Attach each error to the first form that has its field, else to the first form as a
    whole, so the user sees every message next to what they typed."""
    if not hasattr(exc, "error_dict"):
        forms[0].add_error(None, exc.messages)
        return
    for field, errors in exc.error_dict.items():
        owner = next((f for f in forms if field in f.fields), None)
        (owner or forms[0]).add_error(field if owner else None, errors)


def messages_by_field(exc: ValidationError) -> dict:
    """A ValidationError as {field: [messages]} for JSON answers."""
    if hasattr(exc, "error_dict"):
        return {f: [m for e in errs for m in e.messages] for f, errs in exc.error_dict.items()}
    return {NON_FIELD_ERRORS: exc.messages}


def form_status(request) -> int:
    """A form shown again after a POST was refused: 400, so clients and tests see the refusal."""
    return 400 if request.method == "POST" else 200
