"""The program director's set-up pages: the center's details, programs, rooms and beds.

Thin, like every view: each page asks the policy first (a refusal is a ledger entry), each change
goes through residents/setup.py. Staff accounts live in the accounts pages, shared with the
system administrator."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.forms import apply_errors, form_status

from . import setup
from .models import Bed, Program, Room
from .setup_forms import BedForm, CenterForm, NewRoomForm, OutOfServiceForm, ProgramForm, RoomForm


def _require(request):
    policy.require(request.user, Action.MANAGE_CENTER)


def overview(request):
    _require(request)
    return render(request, "residents/setup.html", setup.overview(request.user))


def _form_page(request, form, save, title, submit, note=""):
    """A form whose POST calls `save(cleaned_data)`; the service's refusals show on the form."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            return redirect("residents:setup")
    context = {
        "form": form,
        "title": title,
        "submit": submit,
        "cancel_url": reverse("residents:setup"),
        "note": note,
    }
    return render(request, "simple_form.html", context, status=form_status(request))


def center_edit(request):
    _require(request)
    try:
        center = setup.current_center()
    except ValidationError as exc:  # a database without a center: `homecoming init` first
        return render(request, "400.html", {"message": " ".join(exc.messages)}, status=400)
    initial = {
        "name": center.name,
        "operator": center.operator,
        "sponsor": center.sponsor,
        "time_zone": setup.center_zone_name(),
    }
    form = CenterForm(request.POST or None, initial=initial)
    return _form_page(
        request,
        form,
        lambda data: setup.update_center(request.user, data),
        "The center's details",
        "Save",
    )


def program_new(request):
    _require(request)
    return _form_page(
        request,
        ProgramForm(request.POST or None),
        lambda d: setup.add_program(request.user, d["name"], d["description"]),
        "New program",
        "Add program",
    )


def program_edit(request, program_id):
    _require(request)
    program = get_object_or_404(Program, pk=program_id)
    form = ProgramForm(
        request.POST or None, initial={"name": program.name, "description": program.description}
    )
    return _form_page(
        request,
        form,
        lambda d: setup.update_program(
            request.user, program, name=d["name"], description=d["description"]
        ),
        f"Program {program.name}",
        "Save",
        "Renaming keeps the program's stays: they show the new name.",
    )


def _act(request, action):
    """A one-button change: done and back to the overview, or the service's refusal as a 400."""
    try:
        action()
    except ValidationError as exc:
        return render(request, "400.html", {"message": " ".join(exc.messages)}, status=400)
    return redirect("residents:setup")


@require_POST
def program_active(request, program_id, active):
    _require(request)
    program = get_object_or_404(Program, pk=program_id)
    return _act(request, lambda: setup.set_program_active(request.user, program, active))


def room_new(request):
    _require(request)
    return _form_page(
        request,
        NewRoomForm(request.POST or None),
        lambda d: setup.add_room(request.user, d["name"], d["wing"], d["beds"]),
        "New room",
        "Add room",
    )


def room_edit(request, room_id):
    _require(request)
    room = get_object_or_404(Room, pk=room_id)
    form = RoomForm(request.POST or None, initial={"name": room.name, "wing": room.wing})
    return _form_page(
        request,
        form,
        lambda d: setup.update_room(request.user, room, name=d["name"], wing=d["wing"]),
        f"Room {room.name}",
        "Save",
    )


def bed_new(request, room_id):
    _require(request)
    room = get_object_or_404(Room, pk=room_id)
    return _form_page(
        request,
        BedForm(request.POST or None),
        lambda d: setup.add_bed(request.user, room, d["label"]),
        f"New bed in room {room.name}",
        "Add bed",
    )


def bed_edit(request, bed_id):
    _require(request)
    bed = get_object_or_404(Bed.objects.select_related("room"), pk=bed_id)
    return _form_page(
        request,
        BedForm(request.POST or None, initial={"label": bed.label}),
        lambda d: setup.rename_bed(request.user, bed, d["label"]),
        f"Bed {bed}",
        "Save",
    )


def _out_of_service(request, instance, setter, noun):
    return _form_page(
        request,
        OutOfServiceForm(request.POST or None),
        lambda d: setter(request.user, instance, False, d["reason"]),
        f"Take {noun} {instance} out of service",
        "Take out of service",
        f"Nobody can be given this {noun} until it is back in service. "
        "An occupied bed cannot go: move its resident first.",
    )


def room_out_of_service(request, room_id):
    _require(request)
    room = get_object_or_404(Room, pk=room_id)
    return _out_of_service(request, room, setup.set_room_service, "room")


def bed_out_of_service(request, bed_id):
    _require(request)
    bed = get_object_or_404(Bed.objects.select_related("room"), pk=bed_id)
    return _out_of_service(request, bed, setup.set_bed_service, "bed")


@require_POST
def room_in_service(request, room_id):
    _require(request)
    room = get_object_or_404(Room, pk=room_id)
    return _act(request, lambda: setup.set_room_service(request.user, room, True))


@require_POST
def bed_in_service(request, bed_id):
    _require(request)
    bed = get_object_or_404(Bed, pk=bed_id)
    return _act(request, lambda: setup.set_bed_service(request.user, bed, True))
