"""Message pages: the resident's (their threads, a new one, a thread and its reply) in the
portal, and the care team's (everyone's threads, waiting first; a resident's threads; a thread).
Thin: parse, call a selector or service, render. Every page says first that messages are not for
emergencies, with the crisis numbers as links a phone dials."""

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.core.forms import apply_errors
from homecoming.core.own_record import is_own, own_resident
from homecoming.measures.views import CRISIS_RESOURCES
from homecoming.record import banner
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from . import selectors, services
from .forms import ReplyForm, StartForm
from .models import Thread

NOT_FOR_EMERGENCIES = (
    "Messages are not for emergencies: the care team reads them in working hours, and an "
    "answer can take a day or two. In an emergency call 911."
)


def _context(**more) -> dict:
    return {"not_for_emergencies": NOT_FOR_EMERGENCIES, "crisis": CRISIS_RESOURCES, **more}


def _thread_or_404(actor, thread_id, action=Action.VIEW_MESSAGES) -> Thread:
    try:
        return selectors.thread_for(actor, thread_id, action)
    except Thread.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _threads_page(request, resident, template, form=None, status=200, staff=False):
    listing = selectors.threads_of(request.user, resident)
    form = form or (StartForm() if listing.may_write else None)
    context = _context(listing=listing, form=form)
    if staff:  # whose messages these are, at the top of a staff page about one resident
        context["banner"] = banner.banner(request.user, resident.pk)
    return render(request, template, context, status=status)


def _start(request, resident, template, redirect_to):
    form = StartForm(request.POST)
    form.is_valid()
    try:
        thread = services.start(
            request.user,
            resident,
            form.cleaned_data.get("subject", ""),
            form.cleaned_data.get("body", ""),
        )
    except ValidationError as exc:
        apply_errors(exc, form)
        return _threads_page(request, resident, template, form=form, status=400)
    flash.success(request, "Sent to the care team." if is_own(request, resident.pk) else "Sent.")
    return redirect(redirect_to, thread_id=thread.pk)


def _thread_page(request, thread, template, form=None, status=200):
    conversation = selectors.read(request.user, thread)
    if form is None and conversation.may_write:
        form = ReplyForm()
    context = _context(conversation=conversation, form=form if conversation.may_write else None)
    return render(request, template, context, status=status)


def _reply(request, thread, template, redirect_to):
    form = ReplyForm(request.POST)
    form.is_valid()
    try:
        services.reply(request.user, thread, form.cleaned_data.get("body", ""))
    except ValidationError as exc:
        apply_errors(exc, form)
        return _thread_page(request, thread, template, form=form, status=400)
    flash.success(request, "Sent.")
    return redirect(redirect_to, thread_id=thread.pk)


def _asked(request):
    """What the request does: a POST sends a message, anything else reads them."""
    return Action.SEND_MESSAGE if request.method == "POST" else Action.VIEW_MESSAGES


def _one_thread(request, thread_id, template, redirect_to):
    """GET: the thread; POST: a reply. A thread the policy does not let this person read or
    answer is a 404 (selectors.thread_for records the refusal)."""
    found = _thread_or_404(request.user, thread_id, _asked(request))
    if request.method == "POST":
        return _reply(request, found, template, redirect_to)
    return _thread_page(request, found, template)


# --- the resident's own ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def mine(request):
    """GET: the resident's threads with their care team. POST: a new one."""
    own = own_resident(request)
    if request.method == "POST":
        return _start(request, own, "conversations/mine.html", "conversations:my_thread")
    return _threads_page(request, own, "conversations/mine.html")


@require_http_methods(["GET", "POST"])
def my_thread(request, thread_id):
    """GET: one of the resident's threads (another's is refused, and the refusal recorded).
    POST: their reply."""
    own_resident(request)
    return _one_thread(
        request, thread_id, "conversations/my_thread.html", "conversations:my_thread"
    )


# --- the care team's ------------------------------------------------------------------------


def inbox(request):
    """Every thread of the staff member's residents, waiting ones first."""
    if request.user.role == Role.RESIDENT:
        return redirect("conversations:mine")
    waiting = selectors.waiting(request.user)
    waiting_ids = {w.thread.pk for w in waiting}
    others = [t for t in selectors.inbox(request.user) if t.pk not in waiting_ids]
    return render(request, "conversations/inbox.html", _context(waiting=waiting, threads=others))


@require_http_methods(["GET", "POST"])
def resident(request, resident_id):
    """GET: a resident's threads, for their care team. POST: a new thread to the resident."""
    if is_own(request, resident_id):
        return redirect("conversations:mine")
    try:
        who = existing(request.user, resident_id, _asked(request))
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    template = "conversations/resident.html"
    if request.method == "POST":
        return _start(request, who, template, "conversations:thread")
    return _threads_page(request, who, template, staff=True)


@require_http_methods(["GET", "POST"])
def thread(request, thread_id):
    """GET: a thread, for the resident's care team. POST: a reply, as the one logged in."""
    if request.user.role == Role.RESIDENT:
        return redirect("conversations:my_thread", thread_id=thread_id)
    return _one_thread(request, thread_id, "conversations/thread.html", "conversations:thread")
