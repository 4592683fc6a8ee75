"""The public complaint form (no account needed) and following a complaint up with its receipt.

A complainant who files here gets a receipt code and a passphrase, shown once. With them, they
read the complaint's status and the replies, and write again. An opened receipt is remembered
in the browser's session for 30 minutes, and for that complaint only."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from homecoming.core.client_ip import client_ip
from homecoming.core.forms import apply_errors, form_status
from homecoming.core.ratelimits import limited, max_body

from . import complaints, escalation, selectors
from .forms import MessageForm, PublicComplaintForm, ReceiptForm
from .models import Attachment, Complaint
from .views_complaints import _filing, serve_attachment

SESSION_KEY = "homecoming.receipt"
RECEIPT_KEY = "homecoming.receipt.new"  # the receipt just issued, shown on reloads a while
SESSION_SECONDS = 30 * 60


def _largest_post() -> int:
    """Megabytes a public post may carry: every attachment at its largest, and the words."""
    return complaints.MAX_ATTACHMENTS * settings.HOMECOMING_ATTACHMENT_MAX_MB + 1


def _opened(request) -> Complaint | None:
    held = request.session.get(SESSION_KEY)
    if not held or held.get("until", 0) < time.time():
        request.session.pop(SESSION_KEY, None)
        return None
    return Complaint.objects.filter(pk=held["id"]).first()


@login_not_required
@max_body(_largest_post)
@require_http_methods(["GET", "POST"])
@limited("complaint.file", "HOMECOMING_COMPLAINT_RATE", "The complaint form")
def public_form(request):
    form = PublicComplaintForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint, passphrase = complaints.file_public(_filing(form))
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            # Redirect, so that reloading the receipt never files the complaint again; the
            # passphrase waits in this browser's session for ten minutes, then is gone.
            request.session[SESSION_KEY] = {"id": complaint.pk, "until": time.time() + 600}
            request.session[RECEIPT_KEY] = {
                "id": complaint.pk,
                "passphrase": passphrase,
                "until": time.time() + 600,
            }
            return redirect("oversight:receipt")
    return render(
        request,
        "oversight/public_form.html",
        {"form": form, "days": escalation.period().days},
        status=form_status(request),
    )


@login_not_required
@require_GET
def receipt(request):
    held = request.session.get(RECEIPT_KEY)
    if not held or held.get("until", 0) < time.time():
        request.session.pop(RECEIPT_KEY, None)
        return redirect("oversight:follow_up")
    complaint = Complaint.objects.get(pk=held["id"])
    context = {
        "complaint": complaint,
        "passphrase": held["passphrase"],
        "days": escalation.period().days,
    }
    return render(request, "oversight/receipt.html", context)


@login_not_required
@require_http_methods(["GET", "POST"])
@limited("complaint.open", "HOMECOMING_RECEIPT_RATE", "Opening a complaint with its receipt")
def follow_up(request):
    form = ReceiptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = complaints.open_with_receipt(
                form.cleaned_data["reference"],
                form.cleaned_data["passphrase"],
                source=client_ip(request),
            )
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            request.session[SESSION_KEY] = {
                "id": complaint.pk,
                "until": time.time() + SESSION_SECONDS,
            }
            return redirect("oversight:receipt_view")
    return render(request, "oversight/follow_up.html", {"form": form}, status=form_status(request))


@login_not_required
@max_body(_largest_post)
@require_http_methods(["GET", "POST"])
@limited("complaint.message", "HOMECOMING_RECEIPT_RATE", "Writing on a complaint")
def receipt_view(request):
    complaint = _opened(request)
    if complaint is None:
        return redirect("oversight:follow_up")
    form = MessageForm()
    if request.method == "POST":
        form = MessageForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                complaints.write(
                    None, complaint, form.cleaned_data["body"], files=form.cleaned_data["files"]
                )
            except ValidationError as exc:
                apply_errors(exc, form)
            else:
                messages.success(request, "Your message is sent: it is in the complaint below.")
                return redirect("oversight:receipt_view")
    context = {"view": selectors.with_receipt(complaint), "message_form": form}
    return render(request, "oversight/receipt_view.html", context, status=form_status(request))


@login_not_required
@require_GET
def receipt_attachment(request, attachment_id):
    complaint = _opened(request)
    try:
        if complaint is None:
            selectors.refuse_attachment(request.user, attachment_id)
        found = selectors.attachment_for(None, attachment_id, receipt_complaint=complaint)
    except Attachment.DoesNotExist as exc:
        raise Http404(
            "Open your complaint with its receipt first." if complaint is None else str(exc)
        ) from exc
    return serve_attachment(found)


@login_not_required
@require_http_methods(["POST"])
def forget(request):
    request.session.pop(SESSION_KEY, None)
    request.session.pop(RECEIPT_KEY, None)
    return redirect("oversight:follow_up")
