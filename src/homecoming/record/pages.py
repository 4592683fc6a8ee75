"""The chart, the timeline page and the resident's own record, each from the apps' selectors.

The order of the sections is the order their reads are written to the ledger: the chart's own
read first (it checks the policy and raises for anyone refused), then what it summarises.
"""

from django.core.exceptions import PermissionDenied

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.access.services import give_break_glass_reasons
from homecoming.consents.services import active_consents
from homecoming.corrections import selectors as corrections
from homecoming.encounters import notes_selectors, scheduling
from homecoming.ledger import services as ledger
from homecoming.ledger.selectors import disclosures, every_disclosure
from homecoming.measures import selectors as measures_selectors
from homecoming.medications import allergies
from homecoming.residents import selectors as residents_selectors
from homecoming.safetyplans import selectors as safetyplans
from homecoming.timeline import selectors as timeline_selectors

from . import banner

# What the chart offers to do next, each a link shown only when the policy allows it.
CHART_ACTIONS = (
    Action.EDIT,
    Action.ASSIGN_BED,
    Action.ASSIGN_CARE_TEAM,
    Action.GRANT_PORTAL,
    Action.OPEN_STAY,
    Action.SCHEDULE_SESSION,
    Action.WRITE_NOTE,
    Action.VIEW_HISTORY,
    Action.VIEW_MEDICATIONS,
    Action.VIEW_ADVERSE_EVENTS,
    Action.PLAN_DISCHARGE,
    Action.SIGN_DISCHARGE,
)


# Decided with the read itself, from the stays and care team the chart loads (one decision
# call, no query per action): the links above, whether it may record a questionnaire, show
# the banner, and take the resident's photo.
CHART_OFFERS = (*CHART_ACTIONS, Action.RECORD_MEASURE, Action.VIEW_BANNER, Action.UPLOAD_PHOTO)


def chart(actor, resident_id: int) -> dict:
    """A member of staff's chart of one resident. Resident.DoesNotExist or AccessDenied (both
    on the ledger) when there is none or it is refused."""
    chart = residents_selectors.chart(actor, resident_id, offers=CHART_OFFERS)
    opened = (chart.resident, chart.decision)
    # The banner reads the allergies, the active risk flag and the correction requests waiting
    # in its one query (the chart's query budget): shown at the top, and in the chart's own
    # sections below.
    top = banner.banner(actor, resident_id, decision=chart.offers[Action.VIEW_BANNER])
    if top is None:
        # Every role that reads a chart may see its banner (access/policy.py). Should a rule
        # ever part them, the chart is refused rather than shown without its allergies.
        raise PermissionDenied("This chart cannot be shown without its patient banner.")
    listed_allergies, risk_flag = top.allergies, top.risk_flag
    open_corrections = top.open_corrections
    # One look at the resident (ledger/looks.py): each section below adds its name to it.
    context = {
        "chart": chart,
        "banner": top,
        "can": {action.name.lower(): chart.offers[action].allowed for action in CHART_ACTIONS},
        "may_upload_photo": chart.offers[Action.UPLOAD_PHOTO].allowed,
        "upcoming": scheduling.upcoming_for_resident(chart.resident),
        "notes": notes_selectors.notes_for(actor, resident_id, limit=5, opened=opened),
        "measures": measures_selectors.trends(
            actor,
            resident_id,
            opened=opened,
            may_record=chart.offers[Action.RECORD_MEASURE].allowed,
        ),
        "consents_in_force": list(active_consents(chart.resident).select_related("document")),
        # Shown on every chart, "not recorded" included: the first thing a clinician checks
        # (the substances, as a banner shows them; the details are on the allergies page).
        "allergies": listed_allergies,
        # The active risk flag (a positive PHQ-9 item 9), until a clinician clears it.
        "risk_flag": risk_flag,
        # How many of the resident's correction requests wait for an answer (a count).
        "open_corrections": open_corrections,
    }
    # The summaries the chart shows without a read of their own are named in its look too, so
    # the resident reads what was on the screen.
    shown = {
        "sessions": context["upcoming"],
        "questionnaires": context["measures"].any,
        "consents": context["consents_in_force"],
        allergies.SECTION: True,
        safetyplans.FLAG_SECTION: risk_flag,
        corrections.SECTION: open_corrections,
    }
    ledger.record_sections(
        actor,
        str(Action.VIEW),
        chart.resident.pk,
        [section for section, present in shown.items() if present],
        purpose=chart.decision.purpose,
    )
    return context


def own_record(actor, resident, *, older_than=None) -> dict:
    """The resident's own record (the portal's /my-record/): the chart's sections a resident
    reads, and who looked at their record (a page of it, before the ledger's `older_than`)."""
    chart = residents_selectors.chart(actor, resident.pk)
    context = {
        "chart": chart,
        "upcoming": scheduling.upcoming_for_resident(resident),
        "cancelled": scheduling.cancelled_for_resident(resident),
        "my_notes": notes_selectors.notes_for(actor, resident.pk, limit=3),
        "measures": measures_selectors.trends(actor, resident.pk),
        "consents_in_force": active_consents(resident).select_related("document"),
        "allergies": allergies.standing(resident.pk),
        "disclosures": disclosures(resident, before=older_than),
    }
    # A look through break-glass shows the reason its opener gave (the ledger holds the row's
    # number only).
    give_break_glass_reasons(context["disclosures"].entries)
    return context


WHO_LOOKED = "who looked"


def who_looked(actor, resident) -> list:
    """The whole of "who looked at your record" as the portal's /my-record/ lists it (the
    resident's own reads left out, a break-glass look with the reason its opener gave), newest
    first: for the API's paged list. Read under `VIEW_ACCESS_TRAIL` (AccessDenied, on the
    ledger, for anyone it does not allow), and one look naming "who looked"."""
    decision = policy.require(actor, Action.VIEW_ACCESS_TRAIL, resident)
    entries = give_break_glass_reasons(every_disclosure(resident))
    ledger.record_sections(
        actor, str(Action.VIEW_ACCESS_TRAIL), resident.pk, [WHO_LOOKED], purpose=decision.purpose
    )
    return entries


def timeline(actor, resident_id: int, options: dict):
    """One page of a resident's timeline, narrowed by the filter form's cleaned `options`."""
    return timeline_selectors.timeline(
        actor,
        resident_id,
        kinds=options.get("kind") or (),
        drafts=options.get("drafts", False),
        oldest_first=options.get("oldest_first", False),
        cursor=options.get("after"),
    )
