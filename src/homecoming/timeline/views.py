"""A resident's timeline and their record "as of" a past moment."""

from django.http import Http404
from django.shortcuts import render

from homecoming.ledger.models import Entry
from homecoming.record import banner, pages
from homecoming.residents.models import Resident

from . import selectors
from .forms import AsOfForm, TimelineFilter


def timeline(request, resident_id):
    form = TimelineFilter(request.GET or None)
    options = form.cleaned_data if form.is_valid() else {}
    try:
        page = pages.timeline(request.user, resident_id, options)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    more_query = request.GET.copy()
    more_query["after"] = page.cursor
    context = {"page": page, "form": form, "more_query": more_query.urlencode()}
    if request.htmx:  # "Show more" appends the next page's rows in place
        return render(request, "timeline/_events.html", context)
    context["banner"] = banner.banner(request.user, resident_id)
    return render(request, "timeline/timeline.html", context, status=400 if form.errors else 200)


def change(request, resident_id, seq):
    try:
        found = selectors.change(request.user, resident_id, seq)
    except (Resident.DoesNotExist, Entry.DoesNotExist) as exc:
        raise Http404(str(exc)) from exc
    if request.htmx:
        return render(request, "timeline/_change.html", {"change": found})
    context = {"change": found, "banner": banner.banner(request.user, resident_id)}
    return render(request, "timeline/change.html", context)


def as_of(request, resident_id):
    form = AsOfForm(request.GET or None)
    record = None
    try:
        selectors.check_history(request.user, resident_id)
        if form.is_valid():
            record = selectors.as_of(request.user, resident_id, form.cleaned_data["at"])
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    context = {
        "form": form,
        "record": record,
        "resident_id": resident_id,
        "banner": banner.banner(request.user, resident_id),
    }
    return render(request, "timeline/as_of.html", context, status=400 if form.errors else 200)
