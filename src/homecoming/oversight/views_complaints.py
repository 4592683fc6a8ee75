"""Complaint pages for people with an account: the complaints officers' list and each
complaint (with its messages, assignment and states), filing as a resident or as staff, and
the complainant's own view. Thin: parse, call a selector or service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role, User
from homecoming.core.forms import apply_errors, form_status

from . import complaints, escalation, selectors
from .forms import AssignForm, ComplaintForm, HandlerMessageForm, MessageForm, MoveForm
from .models import Attachment, Complaint, ComplaintStatus


def _filing(form) -> complaints.Filing:
    data = form.cleaned_data
    return complaints.Filing(
        subject=data["subject"],
        body=data["body"],
        named_staff=list(data.get("named_staff") or []),
        files=data.get("files") or [],
        name=data.get("name", ""),
        contact=data.get("contact", ""),
        relationship=data.get("relationship", ""),
    )


def _view_or_404(actor, complaint_id):
    try:
        return selectors.complaint_for(actor, complaint_id)
    except Complaint.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


@require_GET
def handled(request):
    status = request.GET.get("status", "open")
    if status not in ("open", "all", *ComplaintStatus.values):
        status = "open"
    rows = selectors.handled_complaints(request.user, status=None if status == "all" else status)
    overdue = set(escalation.untouched().values_list("pk", flat=True))
    context = {
        "rows": rows,
        "status": status,
        "overdue": overdue,
        "days": escalation.period().days,
        "statuses": ComplaintStatus.choices,
    }
    return render(request, "oversight/complaints.html", context)


@require_http_methods(["GET", "POST"])
def file_complaint(request):
    """A resident in the portal, or a member of staff."""
    resident_filing = request.user.role == Role.RESIDENT
    if resident_filing:
        policy.require(request.user, Action.FILE_COMPLAINT, getattr(request.user, "resident", None))
    else:
        policy.require(request.user, Action.FILE_STAFF_COMPLAINT)
    form = ComplaintForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            filing = _filing(form)
            complaint = (
                complaints.file_own(request.user, filing)
                if resident_filing
                else complaints.file_as_staff(request.user, filing)
            )
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(
                request,
                f"Your complaint is filed as {complaint.reference}. It cannot be deleted, and "
                "if nobody acts on it within "
                f"{escalation.period().days} days it goes to the oversight body by itself.",
            )
            return redirect("oversight:complaint", complaint_id=complaint.pk)
    return render(
        request,
        "oversight/file.html",
        {"form": form, "resident_filing": resident_filing},
        status=form_status(request),
    )


@require_GET
def mine(request):
    rows = selectors.own_complaints(request.user)
    return render(request, "oversight/mine.html", {"rows": rows})


def _handler_forms(view, data=None):
    complaint = view.complaint
    candidates = User.objects.filter(
        is_active=True, role__in=(Role.SUPERVISOR, Role.PROGRAM_DIRECTOR, Role.OVERSIGHT)
    ).exclude(pk__in=[u.pk for u in view.named])
    allowed = [ComplaintStatus(s) for s in complaints.MOVES[ComplaintStatus(complaint.status)]]
    if complaint.status == ComplaintStatus.REFERRED and view.reader_role != Role.OVERSIGHT:
        allowed = []  # only the oversight body moves on a complaint referred to it
    return {
        "assign_form": AssignForm(
            data if data and data.get("do") == "assign" else None,
            candidates=candidates.order_by("full_name"),
            initial={"assignee": complaint.assignee_id},
        ),
        "move_form": MoveForm(data if data and data.get("do") == "move" else None, allowed=allowed)
        if allowed
        else None,
    }


@require_http_methods(["GET", "POST"])
def complaint(request, complaint_id):
    view = _view_or_404(request.user, complaint_id)
    form_class = HandlerMessageForm if view.may_handle else MessageForm
    message_form = form_class()
    forms = _handler_forms(view) if view.may_handle else {}
    if request.method == "POST":
        doing = request.POST.get("do")
        target = view.complaint
        try:
            if doing == "message":
                message_form = form_class(request.POST, request.FILES)
                if message_form.is_valid():
                    data = message_form.cleaned_data
                    complaints.write(
                        request.user,
                        target,
                        data["body"],
                        files=data["files"],
                        for_staff_only=data.get("for_staff_only", False),
                    )
                    messages.success(request, "Your message is added.")
                    return redirect("oversight:complaint", complaint_id=complaint_id)
            elif doing in ("assign", "move") and not view.may_handle:
                complaints.require_handler(request.user, target)  # refused, on the ledger
                return redirect("oversight:complaint", complaint_id=complaint_id)
            elif doing in ("assign", "move"):
                forms = _handler_forms(view, request.POST)
                bound = forms[f"{doing}_form"]
                if bound is not None and bound.is_valid():
                    data = bound.cleaned_data
                    if doing == "assign":
                        complaints.assign(request.user, target, data["assignee"])
                        messages.success(request, f"Assigned to {data['assignee']}.")
                    else:
                        complaints.move(
                            request.user,
                            target,
                            data["status"],
                            note=data["note"],
                            outcome=data["outcome"],
                        )
                        messages.success(
                            request, f"Now {ComplaintStatus(data['status']).label.lower()}."
                        )
                    return redirect("oversight:complaint", complaint_id=complaint_id)
            else:
                policy.require(request.user, Action.HANDLE_COMPLAINTS)
                return redirect("oversight:complaint", complaint_id=complaint_id)
        except ValidationError as exc:
            bound = message_form if doing == "message" else forms.get(f"{doing}_form")
            apply_errors(exc, bound)
        view = _view_or_404(request.user, complaint_id)
    context = {"view": view, "message_form": message_form, **forms}
    return render(request, "oversight/complaint.html", context, status=form_status(request))


def serve_attachment(attachment: Attachment):
    try:
        handle = default_storage.open(attachment.storage_name, "rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from the storage; tell the administrator.") from exc
    response = FileResponse(handle, content_type=attachment.content_type)
    response["Content-Disposition"] = f'attachment; filename="{attachment.original_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def attachment(request, attachment_id):
    try:
        found = selectors.attachment_for(request.user, attachment_id)
    except Attachment.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return serve_attachment(found)


@require_POST
def escalate_now(request):
    """The oversight body runs the escalation timer at once (the worker runs it every minute)."""
    policy.require(request.user, Action.INVESTIGATE)
    done = escalation.escalate_untouched()
    messages.success(request, f"{len(done)} complaint(s) escalated.")
    return redirect(reverse("oversight:complaints"))
