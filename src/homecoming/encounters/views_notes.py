"""Pages for progress notes: a resident's list of notes, the draft editor with autosave, the
signed note with its addenda and decisions, the resident's own notes, and the co-signature
queue. Thin: parse, call notes.py or notes_selectors.py, render. A refused POST shows the page
again with what was typed (400, or 409 when the draft changed elsewhere)."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.core import errors, keyset
from homecoming.core.forms import apply_errors
from homecoming.record import banner
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing, resident_for

from . import notes
from . import notes_selectors as selectors
from .forms_notes import (
    AddendumForm,
    DraftForm,
    NewNoteForm,
    ReleaseForm,
    SecretForm,
    WithholdForm,
)
from .models import Note


def _detail_or_404(actor, note_id) -> selectors.NoteView:
    try:
        return selectors.note_detail(actor, note_id)
    except Note.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _note_to_change(actor, note_id) -> Note:
    """The note a POST acts on (notes_selectors.note_to_change); unknown: 404."""
    try:
        return selectors.note_to_change(actor, note_id)
    except Note.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _resident_or_404(actor, resident_id, action) -> Resident:
    try:
        return existing(actor, resident_id, action)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def resident_notes(request, resident_id):
    user = request.user
    if user.role == Role.RESIDENT:
        own = getattr(user, "resident", None)
        if own is not None and own.pk == resident_id:
            return redirect("encounters:my_notes")
    try:
        cursor = keyset.Cursor.from_query(request.GET)
    except keyset.BadCursor as exc:
        return errors.bad_request(request, exc)
    try:
        listing = selectors.notes_for(user, resident_id, cursor=cursor)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    can_write = policy.decide(user, Action.WRITE_NOTE, listing.resident).allowed
    return render(
        request,
        "encounters/notes/list.html",
        {
            "listing": listing,
            "can_write": can_write,
            "new_form": NewNoteForm(),
            "banner": banner.banner(user, resident_id),
        },
    )


def note_new(request, resident_id):
    """GET: choose the template. POST: start the draft and open it in the editor."""
    user = request.user
    # Checked before anything about the resident is shown (even a refused form has their name
    # on it), and the form that shows them is a read on their record.
    try:
        resident = resident_for(user, resident_id, Action.WRITE_NOTE)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    session_id = request.GET.get("session", "")
    session_id = int(session_id) if session_id.isdigit() else None
    form = NewNoteForm(request.POST or None, initial={"session": session_id})
    if request.method == "POST" and form.is_valid():
        try:
            session = selectors.session_for_note(form.cleaned_data["session"] or session_id)
            note = notes.start(user, resident, form.cleaned_data["template"], session)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            return redirect("encounters:note", note_id=note.pk)
    return render(
        request,
        "encounters/notes/new.html",
        {"form": form, "resident": resident, "banner": banner.banner(user, resident_id)},
        status=400 if request.method == "POST" else 200,
    )


def _editor(request, view, draft=None, secret=None, status=200, message=""):
    return render(
        request,
        "encounters/notes/editor.html",
        {
            "view": view,
            "note": view.note,
            "draft": draft or DraftForm(view.note),
            "sign_form": secret or SecretForm(prefix="sign"),
            "message": message,
            "banner": banner.banner(request.user, view.note.resident_id),
        },
        status=status,
    )


def _signed_page(request, view, status=200, **bound):
    note, user = view.note, request.user
    can = {
        "addendum": policy.decide(user, Action.ADD_ADDENDUM, note.resident).allowed,
        "release": policy.decide(user, Action.RELEASE_NOTE, note.resident).allowed,
        "cosign": (
            view.awaiting_cosignature
            and note.author_id != user.pk
            and policy.decide(user, Action.COSIGN_NOTE, note.resident).allowed
        ),
    }
    context = {
        "view": view,
        "note": note,
        "can": can,
        "is_resident": user.role == Role.RESIDENT,
        "addendum_form": bound.get("addendum") or AddendumForm(prefix="addendum"),
        "cosign_form": bound.get("cosign") or SecretForm(prefix="cosign"),
        "withhold_form": bound.get("withhold") or WithholdForm(prefix="withhold"),
        "release_form": bound.get("release") or ReleaseForm(prefix="release"),
    }
    if user.role != Role.RESIDENT:  # a resident reading their own note has no banner
        context["banner"] = banner.banner(user, note.resident_id)
    return render(request, "encounters/notes/signed.html", context, status=status)


def note(request, note_id):
    view = _detail_or_404(request.user, note_id)
    if not view.note.is_signed:
        return _editor(request, view)
    return _signed_page(request, view)


def _from_script(request) -> bool:
    return bool(request.htmx) or request.headers.get("X-Requested-With") == "fetch"


def _saved_fragment(request, note, status=200, message=""):
    response = render(
        request,
        "encounters/notes/_saved.html",
        {"note": note, "message": message, "saved_at": timezone.localtime(note.updated_at)},
        status=status,
    )
    response["X-Note-Revision"] = str(note.revision)
    return response


@require_POST
def note_autosave(request, note_id):
    """Save the draft: a small fragment for the page's script (200 saved, 409 changed
    elsewhere, 400 refused), or, without script, back to the editor."""
    user = request.user
    note = _note_to_change(user, note_id)
    draft = DraftForm(note, request.POST)
    status, message = 400, ""
    if draft.is_valid():
        try:
            note = notes.save_draft(
                user, note, draft.posted_sections(), draft.cleaned_data["revision"]
            )
        except notes.DraftConflict as exc:
            status, message = 409, " ".join(exc.messages)
            note.revision = exc.revision
            apply_errors(exc, draft)
        except ValidationError as exc:
            message = " ".join(exc.messages)
            apply_errors(exc, draft)
        else:
            if _from_script(request):
                return _saved_fragment(request, note)
            return redirect("encounters:note", note_id=note.pk)
    else:
        message = "The draft could not be read: " + " ".join(
            m for errors in draft.errors.values() for m in errors
        )
    if _from_script(request):
        return _saved_fragment(request, note, status=status, message=message)
    return _editor(request, _detail_or_404(user, note_id), draft=draft, status=status)


def _with_revision(draft: DraftForm, revision: int) -> DraftForm:
    """The typed text again, now based on the revision just saved."""
    data = draft.data.copy()
    data[draft.add_prefix("revision")] = str(revision)
    form = DraftForm(draft.note, data)
    form.is_valid()
    return form


@require_POST
def note_sign(request, note_id):
    """Sign what is on screen: the posted text is saved first (nothing typed is lost, even when
    the password is wrong), then exactly that revision is signed."""
    user = request.user
    note = _note_to_change(user, note_id)
    draft = DraftForm(note, request.POST)
    secret = SecretForm(request.POST, prefix="sign")
    status = 400
    if draft.is_valid() and secret.is_valid():
        revision = None
        try:
            sections = draft.posted_sections()
            if sections:
                note = notes.save_draft(user, note, sections, draft.cleaned_data["revision"])
                revision = note.revision
                draft = _with_revision(draft, revision)
            notes.sign(user, note, secret.cleaned_data["secret"], revision=revision)
        except notes.DraftConflict as exc:
            status = 409
            apply_errors(exc, draft)
        except ValidationError as exc:
            apply_errors(exc, secret, draft)
        else:
            return redirect("encounters:note", note_id=note.pk)
    return _editor(
        request, _detail_or_404(user, note_id), draft=draft, secret=secret, status=status
    )


def _signed_action(request, note_id, form, perform, name):
    """POST of one form on the signed note's page: act, or show the page again with the form's
    errors and what was typed."""
    user = request.user
    note = _note_to_change(user, note_id)
    if form.is_valid():
        try:
            perform(user, note, form)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            return redirect("encounters:note", note_id=note.pk)
    view = _detail_or_404(user, note_id)
    if not view.note.is_signed:
        return _editor(request, view, status=400, message=" ".join(form.non_field_errors()))
    return _signed_page(request, view, status=400, **{name: form})


@require_POST
def note_addendum(request, note_id):
    return _signed_action(
        request,
        note_id,
        AddendumForm(request.POST, prefix="addendum"),
        lambda user, note, f: notes.add_addendum(
            user, note, f.cleaned_data["reason"], f.cleaned_data["text"], f.cleaned_data["secret"]
        ),
        "addendum",
    )


@require_POST
def note_cosign(request, note_id):
    return _signed_action(
        request,
        note_id,
        SecretForm(request.POST, prefix="cosign"),
        lambda user, note, f: notes.cosign(user, note, f.cleaned_data["secret"]),
        "cosign",
    )


@require_POST
def note_release(request, note_id):
    """Withhold the note from the resident (with a documented reason), or release it."""
    if request.POST.get("decision") == "withhold":
        return _signed_action(
            request,
            note_id,
            WithholdForm(request.POST, prefix="withhold"),
            lambda user, note, f: notes.withhold(
                user, note, f.cleaned_data["reason"], f.cleaned_data["explanation"]
            ),
            "withhold",
        )
    return _signed_action(
        request,
        note_id,
        ReleaseForm(request.POST, prefix="release"),
        lambda user, note, f: notes.release(user, note, f.cleaned_data["explanation"]),
        "release",
    )


def my_notes(request):
    try:
        cursor = keyset.Cursor.from_query(request.GET)
    except keyset.BadCursor as exc:
        return errors.bad_request(request, exc)
    try:
        listing = selectors.my_notes(request.user, cursor)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return render(request, "encounters/notes/my_notes.html", {"listing": listing})


def notes_to_cosign(request):
    views = selectors.notes_to_cosign(request.user)
    return render(request, "encounters/notes/to_cosign.html", {"views": views})
