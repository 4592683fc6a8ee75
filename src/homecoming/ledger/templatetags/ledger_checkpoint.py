"""`{% kept_checkpoint %}`: the ledger's latest checkpoint in a form a reader can keep.

Shown on the resident's own record page, beside "who looked": a resident (or their lawyer) who
keeps today's checkpoint file can later have any bundle checked against it
(`homecoming ledger verify BUNDLE --previous FILE`), and a history the operator rewrote after
today no longer extends it."""

from django import template

from .. import cosigned, tree

register = template.Library()


@register.inclusion_tag("ledger/_kept_checkpoint.html")
def kept_checkpoint():
    latest = tree.latest_checkpoint()
    if latest is None:
        return {"checkpoint": None}
    note = cosigned.note(latest)
    log_name = latest.note.split("\n", 1)[0]  # the origin line names the log's key
    # The ledger's own signature line: "— <key name> <base64(key ID || signature)>".
    signer, signature = latest.note.rstrip("\n").rsplit("\n", 1)[-1].split(" ")[1:]
    return {
        "checkpoint": latest,
        "root_hex": bytes(latest.root).hex(),
        "signer": signer,
        "signature": signature,
        "note": note,
        "witnesses": cosigned.shown(note, log_name),
    }
