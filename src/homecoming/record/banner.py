"""The patient banner: at the top of every staff page about one resident, whose record this is.

Name, preferred name, date of birth and age, photo (or initials), bed, allergies ("not
recorded" stands out) and an active risk flag, read in one query of the resident annotated by
each app that owns a part (the chart's budget holds it). Each view passes it to base.html,
which includes _banner.html when the page has one. Shown only to whoever the policy lets see it
(the chart's rule, and the medication round's two-identifier check); what it showed is named in
the request's look at the resident.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.corrections import selectors as corrections
from homecoming.ledger import services as ledger
from homecoming.medications import allergies
from homecoming.residents import photos
from homecoming.residents import selectors as residents_selectors
from homecoming.residents.models import Resident
from homecoming.safetyplans import selectors as safetyplans


@dataclass
class Banner:
    resident_id: int
    given_name: str
    family_name: str
    preferred_name: str
    date_of_birth: dt.date
    age: int  # in whole years, on the center's today
    photo_id: int | None  # the current photo; None: initials in a circle
    room: str | None  # None: not in a bed now
    bed: str | None
    allergies: allergies.Listed
    risk_flag: safetyplans.Banner | None
    open_corrections: int  # the resident's correction requests waiting for an answer

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def initials(self) -> str:
        first = self.preferred_name or self.given_name
        return f"{first[:1]}{self.family_name[:1]}".upper()


def age_on(date_of_birth: dt.date, today: dt.date) -> int:
    """Whole years, a birthday counted on its day (29 February: on 1 March in other years)."""
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - before_birthday


def annotated(residents):
    """A query of residents with everything the banner shows, each app annotating its part."""
    return corrections.with_open_count(
        photos.with_photo(
            residents_selectors.with_bed(safetyplans.flagged_with(allergies.listed_with(residents)))
        )
    )


def of(resident) -> Banner:
    """The banner of a resident read through `annotated`. No policy, no ledger: see banner()."""
    return Banner(
        resident_id=resident.pk,
        given_name=resident.given_name,
        family_name=resident.family_name,
        preferred_name=resident.preferred_name,
        date_of_birth=resident.date_of_birth,
        age=age_on(resident.date_of_birth, timezone.localdate()),
        photo_id=resident.photo_id,
        room=resident.bed_room,
        bed=resident.bed_label,
        allergies=allergies.listed(resident),
        risk_flag=safetyplans.banner(resident),
        open_corrections=resident.open_corrections,
    )


def banner(actor, resident_id: int, *, decision: policy.Decision | None = None) -> Banner | None:
    """The banner of one resident for `actor`, or None when there is no such resident or the
    policy does not let them see it (the page's own check refuses and records that). A page
    that has decided VIEW_BANNER already (the chart, with its offers) passes the decision."""
    resident = annotated(Resident.objects.filter(pk=resident_id)).first()
    if resident is None:
        return None
    if decision is None:
        decision = policy.decide(actor, Action.VIEW_BANNER, resident)
    if not decision.allowed:
        return None
    shown = of(resident)
    sections = [allergies.SECTION]
    if shown.photo_id is not None:
        sections.append(photos.SECTION)
    if shown.risk_flag is not None:
        sections.append(safetyplans.FLAG_SECTION)
    ledger.record_sections(
        actor, str(Action.VIEW_BANNER), resident.pk, sections, purpose=decision.purpose
    )
    return shown
