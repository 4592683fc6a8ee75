"""The ledger page of the oversight body and investigators: the signed checkpoints, the key to
check them with, and whether the witnesses hold their copies."""

from django.http import HttpResponse
from django.shortcuts import render

from homecoming.access import policy
from homecoming.access.policy import Action

from . import cosigned, rotation, signing, tree
from .checkpoints import history_ndjson
from .models import Checkpoint, Witness


def overview(request):
    policy.require(request.user, Action.VIEW_LEDGER)
    try:
        vkey = signing.load().vkey
    except signing.KeyMissing:
        vkey = None
    latest = tree.latest_checkpoint()
    context = {
        "latest": latest,
        "latest_note": cosigned.note(latest) if latest else None,
        "vkey": vkey,
        # The keys a rotation retired, each with the tree size it signed up to: an
        # investigator holding a bundle from before a rotation checks it with its years' key.
        "earlier_keys": rotation.eras()[:-1] if vkey else [],
        "checkpoints": Checkpoint.objects.order_by("-tree_size")[:50],
        "count": Checkpoint.objects.count(),
        "witnesses": [
            (w, [d for d in w.deliveries.all() if d.delivered_at is None])
            for w in Witness.objects.order_by("address").prefetch_related("deliveries__checkpoint")
        ],
    }
    return render(request, "ledger/overview.html", context)


def download_history(request):
    policy.require(request.user, Action.VIEW_LEDGER)
    response = HttpResponse(history_ndjson(), content_type="application/x-ndjson")
    response["Content-Disposition"] = 'attachment; filename="homecoming-checkpoints.ndjson"'
    return response


def download_vkey(request):
    policy.require(request.user, Action.VIEW_LEDGER)
    response = HttpResponse(signing.load().vkey + "\n", content_type="text/plain")
    response["Content-Disposition"] = 'attachment; filename="homecoming-ledger.vkey"'
    return response
