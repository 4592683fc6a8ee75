"""The ledger for the oversight body and investigators: checkpoints, proofs, leaves.

Nothing here holds health information: leaves are identifiers, codes and hashes."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from ninja import Router, Schema
from ninja.pagination import paginate

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.paging import Shaped
from homecoming.core.schemas import Error, Pages

from . import cosigned, rotation, services, signing, tree
from .canonical import canonical_json
from .models import Checkpoint, Entry

router = Router(tags=["ledger"])


class CheckpointOut(Schema):
    tree_size: int
    root: str
    note: str


class LatestCheckpointOut(CheckpointOut):
    cosigned_note: str  # the note followed by its witnesses' cosignature lines: keep this one


class SigningKeyOut(Schema):
    vkey: str
    signed_up_to: int | None  # the tree size of its key transition; None: the current key


class InclusionOut(Schema):
    index: int
    tree_size: int
    leaf_hash: str
    proof: list[str]


class ConsistencyOut(Schema):
    old_size: int
    new_size: int
    proof: list[str]


class EntryOut(Schema):
    seq: int
    leaf: str
    leaf_hash: str


def _checkpoint(c: Checkpoint) -> dict:
    return {"tree_size": c.tree_size, "root": bytes(c.root).hex(), "note": c.note}


def _latest(request) -> Checkpoint:
    latest = tree.latest_checkpoint()
    if latest is None:
        raise Http404("The ledger has no checkpoint yet.")
    return latest


@router.get("/ledger/checkpoint", response={200: LatestCheckpointOut, 403: Error, 404: Error})
def latest_checkpoint(request):
    """Read the latest signed checkpoint, with its witnesses' cosignatures. The C2SP signed
    note, and the same followed by the witnesses' cosignature lines (`cosigned_note`): keep
    that one, it is what `homecoming ledger verify --previous` takes later. It holds no
    health information. The oversight body and investigators may call it; anyone else is
    refused (403 `forbidden`, on the ledger). 404 `not_found`: no checkpoint signed yet."""
    policy.require(request.auth, Action.VIEW_LEDGER)
    latest = _latest(request)
    return {**_checkpoint(latest), "cosigned_note": cosigned.note(latest)}


@router.get("/ledger/checkpoints", response={200: list[CheckpointOut], 403: Error})
@paginate(Pages)
def list_checkpoints(request):
    """List every checkpoint ever signed, oldest first: keep your own copy. Each is a tree size,
    its root hash and the signed note; nothing about a resident. The oversight body and
    investigators may call it; anyone else is refused (403 `forbidden`, on the ledger)."""
    policy.require(request.auth, Action.VIEW_LEDGER)
    return Shaped(Checkpoint.objects.order_by("tree_size"), _checkpoint)


@router.get(
    "/ledger/vkey",
    response={200: None, 403: Error, 503: Error},
    # The key as a verifier reads it from a file: one line of text, not JSON.
    openapi_extra={
        "responses": {
            200: {
                "description": "The vkey, one line: <name>+<key id>+<base64 key>",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        }
    },
)
def get_vkey(request):
    """Read the ledger's public verifier key (C2SP vkey), as plain text. The key a bundle or
    checkpoint signed now is checked with. The oversight body and investigators may call it;
    anyone else is refused (403 `forbidden`, on the ledger). 503 `ledger_key_missing`: the
    center has no usable signing key (an operator must restore it)."""
    policy.require(request.auth, Action.VIEW_LEDGER)
    return HttpResponse(signing.load().vkey + "\n", content_type="text/plain")


@router.get("/ledger/vkeys", response={200: list[SigningKeyOut], 403: Error})
@paginate(Pages)
def list_vkeys(request):
    """List every key that signed the ledger, oldest first. Each with the tree size it signed
    up to (its key transition; null for the current key): a bundle or checkpoint from before a
    key rotation is checked with the key of its years. Empty when the key chain does not hold
    together (the database check raises that as a critical alert). The oversight body and
    investigators may call it; anyone else is refused (403 `forbidden`, on the ledger)."""
    policy.require(request.auth, Action.VIEW_LEDGER)
    return [{"vkey": vkey, "signed_up_to": size} for vkey, size in rotation.eras()]


@router.get(
    "/ledger/proof/inclusion", response={200: InclusionOut, 400: Error, 403: Error, 404: Error}
)
def inclusion_proof(request, index: int, size: int | None = None):
    """Prove that entry `index` is in the tree of `size`. `size` defaults to the latest
    checkpoint's. The RFC 6962 audit path, as hex hashes, with the entry's leaf hash. The oversight
    body and investigators may call it; anyone else is refused (403 `forbidden`, on the ledger).
    Errors: 400 `invalid` (an index outside the tree, or a size beyond the latest checkpoint), 404
    `not_found` (no checkpoint signed yet)."""
    policy.require(request.auth, Action.VIEW_LEDGER)
    size = size or _latest(request).tree_size
    proof = _proof(lambda: tree.inclusion(index, size))
    entry = Entry.objects.get(seq=index)
    return {
        "index": index,
        "tree_size": size,
        "leaf_hash": bytes(entry.leaf_hash).hex(),
        "proof": proof,
    }


@router.get(
    "/ledger/proof/consistency",
    response={200: ConsistencyOut, 400: Error, 403: Error, 404: Error},
)
def consistency_proof(request, old: int, new: int | None = None):
    """Prove that the tree of size `new` extends the tree of size `old`. `new` defaults to the
    latest checkpoint's. The RFC 6962 consistency proof, as hex hashes: nothing was rewritten
    between the two. The oversight body and investigators may call it; anyone else is refused (403
    `forbidden`, on the ledger). Errors: 400 `invalid` (sizes out of order, or beyond the latest
    checkpoint), 404 `not_found` (no checkpoint signed yet)."""
    policy.require(request.auth, Action.VIEW_LEDGER)
    new = new or _latest(request).tree_size
    return {"old_size": old, "new_size": new, "proof": _proof(lambda: tree.consistency(old, new))}


@router.get("/ledger/entries/{seq}", response={200: EntryOut, 403: Error, 404: Error})
def get_entry(request, seq: int):
    """Read one leaf of the ledger, as the exact bytes that were hashed. Identifiers, codes and
    hashes, never health information. The oversight body reads any; an investigator only the
    entries a current grant covers (others: 403 `forbidden`, on the ledger). 404 `not_found`:
    no entry with that number."""
    policy.require(request.auth, Action.VIEW_LEDGER)
    row = Entry.objects.filter(seq=seq).first()
    if row is None:
        raise Http404(f"No entry #{seq}.")
    if not policy.may_read_leaf(request.auth, row):
        policy.refuse(
            request.auth,
            Action.VIEW_LEDGER,
            services.Target(object_type="ledger.entry", object_id=str(seq)),
            reason="No current grant of yours covers this entry.",
        )
    return {
        "seq": seq,
        "leaf": canonical_json(row.leaf()).decode(),
        "leaf_hash": bytes(row.leaf_hash).hex(),
    }


def _proof(make) -> list[str]:
    try:
        return [h.hex() for h in make()]
    except ValueError as exc:  # out of range, or beyond the latest checkpoint
        raise ValidationError(str(exc)) from exc
