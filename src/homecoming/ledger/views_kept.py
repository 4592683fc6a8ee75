"""The latest checkpoint and the ledger's public key for anyone logged in, to keep.

A checkpoint holds no one's data (a tree size and a hash), so every account may download it:
above all the resident, from their record page, who is the person a rewritten history wrongs.
The file is the signed note with its witnesses' cosignatures, exactly what
`homecoming ledger verify BUNDLE --previous FILE` takes."""

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import cosigned, signing, tree


@require_GET
def kept_checkpoint(request):
    latest = tree.latest_checkpoint()
    if latest is None:
        raise Http404("The ledger has no checkpoint yet.")
    stamp = timezone.localtime(latest.created_at).strftime("%Y%m%d-%H%M")
    response = HttpResponse(cosigned.note(latest), content_type="text/plain; charset=utf-8")
    name = f"homecoming-checkpoint-{latest.tree_size}-{stamp}.txt"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def kept_vkey(request):
    try:
        vkey = signing.load().vkey
    except signing.KeyMissing as exc:
        raise Http404("The ledger has no key yet.") from exc
    response = HttpResponse(vkey + "\n", content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="homecoming-ledger.vkey"'
    return response
