"""Consent pages: a resident's consents for their care team, the resident's own consents in the
portal, and the program director's documents. Thin: parse, call a selector or service, render;
a refused POST shows the page again with what was typed and a 400."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.forms import apply_errors, form_status
from homecoming.core.own_record import is_own, own_resident
from homecoming.record import banner
from homecoming.residents.models import Resident

from . import selectors, services
from .forms import ConfirmPendingForm, InPersonConsentForm, OwnRevokeForm, PublishForm, RevokeForm
from .models import IN_PERSON_ONLY, ConsentDocument


def _record_or_404(actor, resident_id):
    try:
        return selectors.consents_of(actor, resident_id)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _revoke_form(form_class, consent_id, data=None):
    # Several revoke forms share the page: distinct ids keep each label on its own field.
    return form_class(data, initial={"consent": consent_id}, auto_id=f"id_revoke{consent_id}_%s")


def _revoke(request, record, form_class):
    """Revoke one of the consents on the page (never one of another resident's). Returns the
    bound form: with errors when refused."""
    try:
        consent_id = int(request.POST.get("consent", ""))
    except ValueError as exc:
        raise Http404("No such consent on this record.") from exc
    line = record.line_for(consent_id)
    if line is None:
        raise Http404("No such consent on this record.")
    form = _revoke_form(form_class, consent_id, request.POST)
    if form.is_valid():
        try:
            services.revoke(request.user, line.consent, form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(exc, form)
    return form


def _revoke_rows(record, form_class, bound=None, waiting=False):
    """(line, form) for each consent that can be revoked now (those waiting for confirmation, or
    the others); the refused one keeps its input."""
    rows = []
    for line in record.lines:
        if line.revoked or line.waiting != waiting:
            continue
        if bound is not None and bound.data.get("consent") == str(line.consent.pk):
            rows.append((line, bound))
        else:
            rows.append((line, _revoke_form(form_class, line.consent.pk)))
    return rows


def _stray_errors(record, bound):
    """Errors of a refused revocation whose consent no longer shows a form (already revoked)."""
    if bound is None or not bound.errors:
        return []
    line = record.line_for(int(bound.data["consent"]))
    if line is not None and not line.revoked:
        return []
    return [message for messages in bound.errors.values() for message in messages]


def _confirm(request, record):
    """Vouch for one of the page's consents waiting for confirmation (never another resident's).
    Returns the bound form: with errors when refused."""
    try:
        consent_id = int(request.POST.get("consent", ""))
    except ValueError as exc:
        raise Http404("No such consent on this record.") from exc
    line = record.line_for(consent_id)
    if line is None:
        raise Http404("No such consent on this record.")
    form = ConfirmPendingForm(request.POST, consent=line.consent)
    if form.is_valid():
        try:
            services.confirm(request.user, line.consent, **form.attestation())
        except ValidationError as exc:
            apply_errors(exc, form)
    return form


def _waiting_rows(record, confirm_form=None, revoke_form=None):
    """(line, confirm form, revoke form) for each consent waiting for confirmation; the refused
    one keeps its input."""
    revoke_forms = {
        line.consent.pk: form
        for line, form in _revoke_rows(record, RevokeForm, revoke_form, waiting=True)
    }
    rows = []
    for line in record.waiting:
        form = ConfirmPendingForm(consent=line.consent)
        if confirm_form is not None and confirm_form.data.get("consent") == str(line.consent.pk):
            form = confirm_form
        rows.append((line, form, revoke_forms[line.consent.pk]))
    return rows


def _signed_message(consent) -> str:
    name = consent.resident.display_name
    if consent.pending:
        return (
            f"Consent to “{consent.document.title}” is recorded as waiting: it does not count "
            f"until {name} confirms it in the portal, or a witness signs for it below."
        )
    return f"Consent to “{consent.document.title}” is recorded; it counts from now."


@require_http_methods(["GET", "POST"])
def resident_consents(request, resident_id):
    if is_own(request, resident_id):
        return redirect("consents:my_consents")
    record = _record_or_404(request.user, resident_id)
    resident = record.resident
    available = selectors.documents_available(resident)
    sign_form = InPersonConsentForm(documents=available, recorder=request.user)
    revoke_form = confirm_form = None
    doing = request.POST.get("do") if request.method == "POST" else None
    if doing == "revoke":
        revoke_form = _revoke(request, record, RevokeForm)
        if not revoke_form.errors:
            return redirect("consents:resident_consents", resident_id=resident_id)
    elif doing == "confirm":
        confirm_form = _confirm(request, record)
        if not confirm_form.errors:
            messages.success(request, "The consent counts from now.")
            return redirect("consents:resident_consents", resident_id=resident_id)
    elif request.method == "POST":
        sign_form = InPersonConsentForm(request.POST, documents=available, recorder=request.user)
        if sign_form.is_valid():
            try:
                consent = services.sign(
                    request.user,
                    resident,
                    sign_form.cleaned_data["document"],
                    **sign_form.attestation(),
                )
            except ValidationError as exc:
                apply_errors(exc, sign_form)
            else:
                messages.success(request, _signed_message(consent))
                return redirect("consents:resident_consents", resident_id=resident_id)
    waiting_revoke = revoke_form if revoke_form is not None and revoke_form.errors else None
    context = {
        "record": record,
        "sign_form": sign_form,
        "waiting_rows": _waiting_rows(record, confirm_form, waiting_revoke),
        "revoke_rows": _revoke_rows(record, RevokeForm, revoke_form),
        "revoke_errors": _stray_errors(record, revoke_form),
        "can_record": policy.decide(request.user, Action.RECORD_CONSENT, resident).allowed,
        "can_revoke": policy.decide(request.user, Action.REVOKE_CONSENT, resident).allowed,
        "has_documents": bool(available),
        "banner": banner.banner(request.user, resident_id),
    }
    return render(request, "consents/resident_consents.html", context, status=form_status(request))


@require_http_methods(["GET", "POST"])
def my_consents(request):
    resident = own_resident(request)
    record = selectors.consents_of(request.user, resident.pk)
    revoke_form = None
    if request.method == "POST":
        revoke_form = _revoke(request, record, OwnRevokeForm)
        if not revoke_form.errors:
            messages.success(
                request,
                "Your consent is withdrawn: it stopped counting at once. It stays in your history.",
            )
            return redirect("consents:my_consents")
    context = {
        "record": record,
        "available": selectors.documents_available(resident),
        "waiting_rows": _revoke_rows(record, OwnRevokeForm, revoke_form, waiting=True),
        "revoke_rows": _revoke_rows(record, OwnRevokeForm, revoke_form),
        "revoke_errors": _stray_errors(record, revoke_form),
    }
    return render(request, "consents/my_consents.html", context, status=form_status(request))


@require_http_methods(["GET", "POST"])
def sign_own(request, document_id):
    resident = own_resident(request)
    try:
        document = selectors.document(document_id)
    except ConsentDocument.DoesNotExist as exc:
        raise Http404(f"No consent document #{document_id}.") from exc
    error = None
    if request.method == "POST":
        try:
            services.sign(request.user, resident, document)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"You agreed to “{document.title}”.")
            return redirect("consents:my_consents")
    return render(
        request,
        "consents/sign_own.html",
        {
            "document": document,
            "error": error,
            "in_person_only": document.purpose in IN_PERSON_ONLY,
            "in_person_message": services.IN_PERSON_MESSAGE,
        },
        status=form_status(request),
    )


@require_http_methods(["GET", "POST"])
def confirm_own(request, consent_id):
    """The resident reads a consent staff recorded for them, and confirms it (or not)."""
    resident = own_resident(request)
    record = selectors.consents_of(request.user, resident.pk)
    line = record.line_for(consent_id)
    if line is None:
        raise Http404("No such consent on your record.")
    error = None
    if request.method == "POST":
        try:
            services.confirm(request.user, line.consent)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request, f"You confirmed your consent to “{line.consent.document.title}”."
            )
            return redirect("consents:my_consents")
    return render(
        request,
        "consents/confirm_own.html",
        {"line": line, "consent": line.consent, "document": line.consent.document, "error": error},
        status=form_status(request),
    )


@require_http_methods(["GET", "POST"])
def documents(request):
    series = selectors.documents(request.user)
    if request.method == "POST":
        form = PublishForm(request.POST)
        if form.is_valid():
            try:
                services.publish(request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(exc, form)
            else:
                return redirect("consents:documents")
    else:
        base = next((s.latest for s in series if s.code == request.GET.get("code")), None)
        form = PublishForm.next_version_of(base) if base else PublishForm()
    return render(
        request,
        "consents/documents.html",
        {"series": series, "form": form},
        status=form_status(request),
    )
