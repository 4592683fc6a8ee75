"""Pages for intake, the chart, beds and care teams. Thin: parse, call a selector or service,
render. Bad input re-renders the form with what the user typed and a 400."""

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from homecoming.access import policy
from homecoming.access import services as access_services
from homecoming.access.policy import AccessDenied, Action
from homecoming.core.forms import apply_errors, form_status, messages_by_field
from homecoming.core.own_record import is_own, own_resident
from homecoming.fhir import intake as fhir_intake
from homecoming.record import banner, own_copy, pages

from . import photos, selectors, services
from .forms import (
    AdmissionForm,
    ArrivalForm,
    BedForm,
    BreakGlassForm,
    CancelAdmissionForm,
    CareTeamForm,
    DeploymentFormSet,
    FhirPatientForm,
    IntakeForm,
    PhotoForm,
    PortalAccessForm,
    StayForm,
    deployment_rows,
    deployments_from,
)
from .intake_rules import DIFFERENT_PERSON
from .models import Resident


def _resident_or_404(actor, resident_id, action):
    try:
        return selectors.resident_for(actor, resident_id, action)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def search(request):
    query = request.GET.get("q", "").strip()
    rows = selectors.search(request.user, query) if query else []
    template = "residents/_search_results.html" if request.htmx else "residents/search.html"
    return render(request, template, {"rows": rows, "query": query})


def _admission_from(person, admission, deployments) -> services.Admission:
    """What the forms hold, as far as they could read it (a field they refused is None)."""
    stay = admission.cleaned_data
    return services.Admission(
        intake=dict(person.cleaned_data),
        admitted_on=stay.get("admitted_on"),
        expected_length_days=stay.get("expected_length_days"),
        bed=stay.get("bed"),
        program=stay.get("program"),
        primary_caseworker=stay.get("primary_caseworker"),
        clinician=stay.get("clinician"),
        deployments=deployments_from(deployments),
        different_person_confirmed=bool(stay.get("different_person_confirmed")),
    )


def _show_problems(errors: dict, person, admission, deployments):
    """Put every problem the intake rules found next to its field, where the form has not
    already said something about that field; what is left goes above the form."""
    rows = [f for f, _ in deployment_rows(deployments)]
    for key, said in errors.items():
        if key.startswith("deployments."):
            _, index, name = key.split(".")
            form = rows[int(index)] if int(index) < len(rows) else None
            if form is not None and name not in form.errors:
                form.add_error(name, said)
            elif form is None:
                person.add_error(None, said)
            continue
        if key == DIFFERENT_PERSON:  # the warning above the form says the rest
            said = ["Open the record named above; tick this if it is someone else."]
        owner = next((f for f in (person, admission) if key in f.fields), None)
        if owner is None:
            person.add_error(None, said)
        elif key not in owner.errors:
            owner.add_error(key, said)
    _once(person)


def _once(form):
    """The database's constraints (a service start after birth) are checked by the model form
    too, as errors of the whole form: said once, next to the field the rules name."""
    whole = form.errors.get(NON_FIELD_ERRORS)
    if not whole:
        return
    by_field = {m for field, errs in form.errors.items() if field != NON_FIELD_ERRORS for m in errs}
    kept = [m for m in whole if m not in by_field]
    if kept:
        form.errors[NON_FIELD_ERRORS] = form.error_class(kept, error_class="nonfield")
    else:
        del form.errors[NON_FIELD_ERRORS]


def intake(request):
    """Every problem at once: the forms' own (a missing field, a bad date) and the intake
    rules' (an implausible age, a deployment after the admission, a likely duplicate) are shown
    together, and nothing is written until there are none."""
    policy.require(request.user, Action.REGISTER)
    data = request.POST if request.method == "POST" else None
    person = IntakeForm(data, prefix="person")
    admission = AdmissionForm(data, prefix="stay", actor=request.user)
    deployments = DeploymentFormSet(data, prefix="deployments")
    duplicates = []
    if data is not None:
        forms_ok = all([f.is_valid() for f in (person, admission, deployments)])
        candidate = _admission_from(person, admission, deployments)
        try:
            if forms_ok:
                resident = services.admit(request.user, candidate)
                return redirect("residents:chart", resident_id=resident.pk)
            errors, duplicates = services.admission_problems(request.user, candidate)
        except ValidationError as exc:
            errors = messages_by_field(exc)
            duplicates = getattr(exc, "duplicates", [])
        _show_problems(errors, person, admission, deployments)
        if duplicates:
            admission.offer_confirmation()
    context = {
        "person": person,
        "admission": admission,
        "deployments": deployments,
        "duplicates": duplicates,
        "upload": FhirPatientForm(),
    }
    return render(request, "residents/intake.html", context, status=form_status(request))


@require_POST
def intake_from_fhir(request):
    """The intake form started from another provider's Patient (FHIR JSON, fhir/intake.py):
    its names, date of birth, service number and emergency contact filled in for the member
    of staff to check and complete. Nothing is saved. A file that cannot be read is named
    problem by problem, by its place in the resource (400), and the form stays empty."""
    policy.require(request.user, Action.REGISTER)
    upload = FhirPatientForm(request.POST, request.FILES)
    values, problems = {}, []
    if upload.is_valid():
        sent = upload.cleaned_data["patient"]
        try:
            values = fhir_intake.intake_values(sent.read(fhir_intake.MAX_BYTES + 1))
        except fhir_intake.Unreadable as exc:
            problems = exc.problems
    context = {
        "person": IntakeForm(initial=values, prefix="person"),
        "admission": AdmissionForm(prefix="stay", actor=request.user),
        "deployments": DeploymentFormSet(prefix="deployments"),
        "duplicates": [],
        "upload": upload,
        "import_problems": problems,
        "imported_from": upload.cleaned_data["patient"].name if values else "",
    }
    status = 400 if problems or upload.errors else 200
    return render(request, "residents/intake.html", context, status=status)


def chart(request, resident_id):
    if is_own(request, resident_id):
        # Residents read their own record on their own page; anyone else's is refused there.
        return redirect("residents:my_record")
    try:
        context = pages.chart(request.user, resident_id)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    except AccessDenied:
        resident = Resident.objects.filter(pk=resident_id).first()
        if policy.decide(request.user, Action.BREAK_GLASS, resident).allowed:
            return render(
                request,
                "residents/break_glass.html",
                {"resident_id": resident_id, "form": BreakGlassForm()},
                status=403,
            )
        raise
    return render(request, "residents/chart.html", context)


@require_POST
def break_glass(request, resident_id):
    resident = Resident.objects.filter(pk=resident_id).first()
    if resident is None:
        raise Http404(f"No resident #{resident_id}.")
    form = BreakGlassForm(request.POST)
    if form.is_valid():
        try:
            access_services.open_break_glass(request.user, resident, form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            return redirect("residents:chart", resident_id=resident_id)
    return render(
        request,
        "residents/break_glass.html",
        {"resident_id": resident_id, "form": form},
        status=400,
    )


def _form_page(request, resident_id, action, make_form, perform, title, submit, done):
    """GET shows the form; POST calls the service and returns to the chart, saying what was
    done (`done`, with the resident's name for {name}). A refused POST re-renders the form,
    with what was typed, and a 400."""
    resident = _resident_or_404(request.user, resident_id, action)
    form = make_form(request.POST or None, resident)
    if request.method == "POST" and form.is_valid():
        try:
            perform(request.user, resident, form)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, done.format(name=resident.display_name))
            return redirect("residents:chart", resident_id=resident_id)
    context = {
        "form": form,
        "title": f"{title}: {resident.display_name}",
        "submit": submit,
        "cancel_url": reverse("residents:chart", args=[resident_id]),
        "banner": banner.banner(request.user, resident_id),
    }
    return render(request, "simple_form.html", context, status=form_status(request))


def edit(request, resident_id):
    return _form_page(
        request,
        resident_id,
        Action.EDIT,
        # The ModelForm writes into the instance while validating; only changed fields are sent.
        lambda data, r: IntakeForm(data, instance=r),
        lambda actor, r, form: services.update_intake(
            actor, r, {k: form.cleaned_data[k] for k in form.changed_data}
        ),
        "Correct the intake record",
        "Save correction",
        "Intake record corrected for {name}.",
    )


def bed(request, resident_id):
    return _form_page(
        request,
        resident_id,
        Action.ASSIGN_BED,
        lambda data, r: BedForm(data),
        lambda actor, r, form: services.assign_bed(actor, r, form.cleaned_data["bed"]),
        "Assign a bed",
        "Assign bed",
        "Bed assigned to {name}.",
    )


def open_stay(request, resident_id):
    return _form_page(
        request,
        resident_id,
        Action.OPEN_STAY,
        lambda data, r: StayForm(data),
        lambda actor, r, form: services.open_stay(
            actor, r, form.cleaned_data["admitted_on"], form.cleaned_data["expected_length_days"]
        ),
        "Open a new stay",
        "Open stay",
        "A new stay is open for {name}.",
    )


def arrival(request, resident_id):
    """A planned admission's resident has arrived: in residence from now, in the reserved bed."""
    return _form_page(
        request,
        resident_id,
        Action.OPEN_STAY,
        lambda data, r: ArrivalForm(data),
        lambda actor, r, form: services.record_arrival(actor, r),
        "Record the arrival",
        "They have arrived",
        "{name} is in residence from now.",
    )


def cancel_admission(request, resident_id):
    """A planned admission will not happen: cancelled, with the reason; the bed is free again."""
    return _form_page(
        request,
        resident_id,
        Action.OPEN_STAY,
        lambda data, r: CancelAdmissionForm(data),
        lambda actor, r, form: services.cancel_planned_admission(
            actor, r, form.cleaned_data["reason"]
        ),
        "Cancel the planned admission",
        "Cancel the admission",
        "The planned admission of {name} is cancelled; the care team is told.",
    )


def care_team(request, resident_id):
    return _form_page(
        request,
        resident_id,
        Action.ASSIGN_CARE_TEAM,
        lambda data, r: CareTeamForm(data),
        lambda actor, r, form: services.assign_care_team(
            actor, r, form.cleaned_data["team_role"], form.cleaned_data["user"]
        ),
        "Change the care team",
        "Assign",
        "Care team changed for {name}.",
    )


def portal_access(request, resident_id):
    return _form_page(
        request,
        resident_id,
        Action.GRANT_PORTAL,
        lambda data, r: PortalAccessForm(data),
        lambda actor, r, form: services.grant_portal_access(
            actor, r, form.cleaned_data["username"], form.cleaned_data["password"]
        ),
        "Give portal access",
        "Create portal log-in",
        "{name} can now log in to the portal.",
    )


def photo_new(request, resident_id):
    """Take the resident's photo: GET shows the form, POST keeps the photo and returns to the
    chart. Someone the policy refuses is refused (on the ledger) before anything is read; a
    file that is not a JPEG or PNG, or too large, re-renders the form with why, and a 400."""
    resident = _resident_or_404(request.user, resident_id, Action.UPLOAD_PHOTO)
    posted = request.method == "POST"
    form = PhotoForm(request.POST if posted else None, request.FILES if posted else None)
    if posted:
        form.is_valid()  # cleaned, so the service's reasons replace the form's own
        try:
            photos.upload(request.user, resident_id, request.FILES.get("file"))
        except ValidationError as exc:
            form.errors.pop("file", None)
            apply_errors(exc, form)
        else:
            return redirect("residents:chart", resident_id=resident_id)
    context = {
        "form": form,
        "title": f"Take a photo: {resident.display_name}",
        "submit": "Upload photo",
        "cancel_url": reverse("residents:chart", args=[resident_id]),
        "note": "The newest photo is shown; earlier ones are kept in the record.",
        "banner": banner.banner(request.user, resident_id),
    }
    return render(request, "simple_form.html", context, status=form_status(request))


@require_GET
def photo(request, resident_id):
    """The resident's current photo, as the banner and the round show it: checked and recorded
    as a read each time it is fetched, so nothing of it is kept by the browser or a proxy."""
    try:
        found = photos.current(request.user, resident_id)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    if found is None:
        raise Http404("No photo of this resident has been taken.")
    try:
        handle = default_storage.open(found.storage_name, "rb")
    except FileNotFoundError as exc:
        raise Http404("The photo is missing from the storage; tell the administrator.") from exc
    response = FileResponse(handle, content_type=found.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    # A face tied to a record: never kept by a shared cache, nor on the browser's disk.
    response["Cache-Control"] = "private, no-store"
    return response


def bed_board(request):
    board = selectors.bed_board(request.user)
    wings = {}
    for item in board:
        wings.setdefault(item.bed.room.wing, []).append(item)
    occupied = sum(1 for item in board if item.occupied)
    in_service = sum(1 for item in board if item.bed.usable)
    return render(
        request,
        "residents/bed_board.html",
        {
            "wings": wings,
            "occupied": occupied,
            "total": in_service,
            "out_of_service": len(board) - in_service,
        },
    )


def _page_from(request) -> int | None:
    try:
        return int(request.GET["older"])
    except (KeyError, ValueError):
        return None


def my_record(request):
    resident = own_resident(request)
    context = pages.own_record(request.user, resident, older_than=_page_from(request))
    return render(request, "residents/my_record.html", context)


def attachment(copy: own_copy.OwnCopy) -> HttpResponse:
    """A copy of the record as a file to keep, never kept by a browser's or a proxy's cache."""
    response = HttpResponse(copy.content(), content_type=copy.content_type)
    response["Content-Disposition"] = f'attachment; filename="{copy.filename}"'
    response["Cache-Control"] = "no-store"
    return response


def my_record_download(request, fmt):
    """The resident's own copy of their record (record/own_copy.py). Anyone else (a member of
    staff, an account linked to no record) is refused: a 403, on the ledger."""
    resident = getattr(request.user, "resident", None)
    fhir_base = request.build_absolute_uri("/fhir/R4/")
    return attachment(own_copy.download(request.user, resident, fmt, fhir_base))
