"""An investigator's evidence bundle: the ledger bundle of their grant's scope, as a .zip that
`homecoming ledger verify` (or the standalone verify.py) checks offline."""

from django.db import transaction
from django.utils import timezone

from homecoming.access.policy import Purpose
from homecoming.ledger import export
from homecoming.ledger import services as ledger

from . import selectors

EXPORT = "investigation.evidence"


def bundle(actor, grant_id: int) -> tuple[bytes, str]:
    grant = selectors.current_grant(actor, grant_id)
    residents = [s.resident for s in grant.scope.all() if s.resident_id]
    staff = [s.staff_id for s in grant.scope.all() if s.staff_id]
    archive, summary = export.evidence([r.pk for r in residents], staff)
    with transaction.atomic():
        ledger.append(actor, EXPORT, ledger.Target.of(grant), purpose=Purpose.INVESTIGATION)
        if residents:  # each resident's record left the center in it: on their ledger
            ledger.record_reads(
                actor, EXPORT, residents, resident_of=lambda r: r.pk, purpose=Purpose.INVESTIGATION
            )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"evidence-{grant.investigation.reference}-grant{grant.pk}-{stamp}.zip"
    return archive, name
