"""De-identified exports of residents' questionnaire data, for a research protocol's team or for
the government sponsor, under each resident's consent to that document.

Consent is checked at the moment of export, in the same transaction that reads the data: a
resident who revoked yesterday, or whose research protocol's ethics approval has expired, is
not in today's file. Each resident included gets an entry on the ledger (they read it in "who
looked at my record"), committing to the consent the export relied on; the export as a whole
gets one more, committing to the document's version.

De-identified means: no name, no contact, no date. A resident appears under a pseudonym (an
HMAC of their record number, keyed per document code, so two exports under one protocol link up
and two protocols cannot be linked), with their service branch and a five-year age band; every
questionnaire is dated by days since their first admission.
"""

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.crypto import salted_hmac

from homecoming.access import policy
from homecoming.access.policy import Action, Purpose
from homecoming.consents.models import SHARING_PURPOSES, ConsentDocument, ConsentPurpose
from homecoming.consents.services import active_consents, long_date, purpose_words
from homecoming.ledger import services as ledger
from homecoming.measures.models import Questionnaire
from homecoming.residents.models import Resident, Stay

EXPORT = str(Action.EXPORT_SHARED_DATA)
# The purpose the entries carry, for each of consents.models.SHARING_PURPOSES.
PURPOSE_OF = {
    ConsentPurpose.RESEARCH: Purpose.RESEARCH,
    ConsentPurpose.SPONSOR_SHARING: Purpose.SPONSOR_SHARING,
}
FORMAT = "homecoming-deidentified-export/1"
# Ages at or above this are one band: with few residents that old, an exact band could name one.
OLDEST_BAND = 90
# A combination of service branch and age band that fewer participants share than this is
# withheld (both left empty) in that export: in a center of dozens, "the one Space Force veteran
# in their fifties" is a name.
SMALLEST_GROUP = 5


@dataclass
class Export:
    document: ConsentDocument
    exported_at: dt.datetime
    lines: list[dict]  # the header first, then participants, then questionnaires
    participants: int
    not_included: int  # residents of the center without a consent that counts now

    def ndjson(self) -> bytes:
        return b"".join(
            json.dumps(line, sort_keys=True, separators=(",", ":")).encode() + b"\n"
            for line in self.lines
        )

    @property
    def filename(self) -> str:
        return f"{self.document.code}-{timezone.localtime(self.exported_at):%Y%m%d-%H%M}.ndjson"


def pseudonym(code: str, resident_id: int) -> str:
    """Keyed by HOMECOMING_PSEUDONYM_KEY, not the session key: rotating that one (after a leak,
    say) must not rename every participant and break a study's links across its exports."""
    return salted_hmac(
        f"homecoming.sharing.{code}",
        str(resident_id),
        secret=settings.HOMECOMING_PSEUDONYM_KEY,
        algorithm="sha256",
    ).hexdigest()[:20]


def age_band(born: dt.date, on: dt.date) -> str:
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if age >= OLDEST_BAND:
        return f"{OLDEST_BAND}+"
    low = age - age % 5
    return f"{low}-{low + 4}"


def _withhold_small_groups(participants) -> int:
    """Empty the branch and age band of every participant whose combination of the two fewer
    than SMALLEST_GROUP share; how many participants that touched."""
    key = ("service_branch", "age_band_at_admission")
    sizes = Counter(tuple(p[k] for k in key) for p in participants)
    touched = 0
    for p in participants:
        if sizes[tuple(p[k] for k in key)] < SMALLEST_GROUP:
            p.update(dict.fromkeys(key))
            touched += 1
    return touched


def _document(code: str) -> ConsentDocument:
    document = ConsentDocument.objects.filter(code=code).order_by("-version").first()
    if document is None:
        raise ValidationError({"document": f"No consent document is called “{code}”."})
    if document.purpose not in SHARING_PURPOSES:
        raise ValidationError(
            {
                "document": f"{document.title} is a consent to "
                f"{purpose_words(document.purpose)}, not to sharing data: nothing is exported "
                "under it."
            }
        )
    expires = document.ethics_approval_expires
    if expires is not None and expires < timezone.localdate():
        raise ValidationError(
            {
                "document": f"The ethics approval of {document.title} "
                f"({document.ethics_approval_ref}) expired on {long_date(expires)}: no consent "
                "to it counts, so nothing can be exported."
            }
        )
    return document


def export(actor, code: str) -> Export:
    """The de-identified data of every resident whose consent to `code` counts right now."""
    decision = policy.require(actor, Action.EXPORT_SHARED_DATA)
    document = _document(code)
    now = timezone.now()
    with transaction.atomic():
        consents = {}
        for consent in active_consents(None, now, code=code).select_related("resident"):
            consents.setdefault(consent.resident_id, consent)  # newest first: the one relied on
        ids = sorted(consents)
        first_admitted = dict(
            Stay.objects.filter(resident_id__in=ids)
            .values("resident_id")
            .annotate(first=Min("admitted_on"))
            .values_list("resident_id", "first")
        )
        questionnaires = list(
            Questionnaire.objects.filter(resident_id__in=ids, completed_at__lte=now).order_by(
                "resident_id", "completed_at", "id"
            )
        )
        not_included = Resident.objects.exclude(pk__in=ids).count()
        ledger.record_reads(
            actor, EXPORT, [document], resident_of=lambda d: None, purpose=decision.purpose
        )
        ledger.record_reads(
            actor,
            EXPORT,
            [consents[i] for i in ids],
            resident_of=lambda c: c.resident_id,
            purpose=PURPOSE_OF[document.purpose],
        )
    names = {i: pseudonym(code, i) for i in ids}
    header = {
        "type": "export",
        "format": FORMAT,
        "document": {
            "code": document.code,
            "title": document.title,
            "purpose": document.purpose,
            "latest_version": document.version,
            "ethics_approval_ref": document.ethics_approval_ref or None,
            "ethics_approval_expires": (
                document.ethics_approval_expires.isoformat()
                if document.ethics_approval_expires
                else None
            ),
        },
        "exported_on": timezone.localdate(now).isoformat(),
        "participants": len(ids),
        "residents_not_included": not_included,
    }
    participants = []
    for i in ids:
        consent = consents[i]
        resident = consent.resident
        admitted = first_admitted.get(i) or timezone.localdate(consent.signed_at)
        participants.append(
            {
                "type": "participant",
                "pseudonym": names[i],
                "service_branch": resident.service_branch,
                "age_band_at_admission": age_band(resident.date_of_birth, admitted),
                "consent_version": consent.document.version,
                "consented_on_day": (timezone.localdate(consent.signed_at) - admitted).days,
            }
        )
    header["groups_withheld"] = _withhold_small_groups(participants)
    lines = [header, *participants]
    for q in questionnaires:
        admitted = first_admitted.get(q.resident_id) or timezone.localdate(q.completed_at)
        lines.append(
            {
                "type": "questionnaire",
                "pseudonym": names[q.resident_id],
                "instrument": q.instrument,
                "day": (timezone.localdate(q.completed_at) - admitted).days,
                "answers": q.answers,
                "total": q.total,
                "band": q.band or None,
            }
        )
    return Export(
        document=document,
        exported_at=now,
        lines=lines,
        participants=len(ids),
        not_included=not_included,
    )
