"""The demo center's complaints and the oversight body's investigation, on the simulated clock.

- Three weeks ago a resident's sister complains through the public form: her brother has lost
  days of his memory since he joined "a trial". Nobody at the center acts on it; after 14 days
  it escalates to the oversight body by itself.
- A trainee caseworker complains, as staff, that the supervisor (Colin Belfast) pressed her to
  soften an assessment before he co-signed it. Colin is named: he may read the complaint, never
  who made it. The program director has it.
- Walter complains in the portal about noise at night; the program director answers and
  resolves it, and he reads the outcome.
- The oversight body was told of every order and dose of the trial drug; five days ago Thomas
  Carrasco reads those alerts and opens an investigation from the sister's complaint, and gives
  the investigator read-only access, for 30 days, to the records of the residents on the trial
  and to everything Colin and the prescriber did. The trial residents see the grant in their
  record's "who looked" list.
"""

import dataclasses
import datetime as dt

from django.utils import timezone

from homecoming.alerts import services as alerts
from homecoming.alerts.models import Alert
from homecoming.medications.models import AdministrationStatus
from homecoming.oversight import complaints, escalation, investigations
from homecoming.residents.models import Resident

SISTER = complaints.Filing(
    subject="My brother cannot remember my visits",
    body="My brother has been at Homecoming since the autumn. Since he joined what he calls "
    "'the trial' (a capsule twice a day) he does not remember my visits, nor our phone calls. "
    "Last Saturday he asked me when I was coming, an hour after I left. When I asked the staff, "
    "they said it is normal after deployment. It is not normal for him. Please look into it.",
    name="Rosa Medina",
    relationship="sister of a resident",
    contact="rosa.medina@example.org",
)
TRAINEE = complaints.Filing(
    subject="Pressed to soften an assessment before co-signature",
    body="Before co-signing my note of last Tuesday, my supervisor asked me to remove that the "
    "resident reported memory gaps since starting the trial medication, and to write 'settling "
    "in well' instead. I did not change it. I want this on record.",
)
WALTER = complaints.Filing(
    subject="Noise in the North wing at night",
    body="Most nights the corridor door bangs after midnight and wakes me up. I have asked "
    "twice. I sleep badly enough as it is.",
)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def story(people, until):
    """A generator of moments (see clock.live)."""
    today = timezone.localdate(until)

    def ago(days, hour, minute=0):
        return _at(today - dt.timedelta(days=days), hour, minute)

    yield ago(21, 21, 10)
    sister, _ = complaints.file_public(SISTER)

    yield ago(12, 16, 5)
    trainee = complaints.file_as_staff(
        people["caseworker3"],
        dataclasses.replace(TRAINEE, named_staff=[people["colin"]]),
    )
    yield ago(11, 9, 30)
    complaints.assign(people["director"], trainee, people["director"])
    complaints.move(
        people["director"],
        trainee,
        "investigating",
        note="Thank you for raising this. I am reading the note and its versions.",
    )

    walter = Resident.objects.filter(family_name="Cruz", given_name="Walter").first()
    if walter is not None and walter.user is not None:
        yield ago(10, 7, 45)
        noise = complaints.file_own(walter.user, WALTER)
        yield ago(9, 10, 0)
        complaints.move(people["director"], noise, "acknowledged", note="We will fix the door.")
        yield ago(7, 15, 30)
        complaints.move(
            people["director"],
            noise,
            "resolved",
            outcome="The North wing corridor door now has a soft-close hinge (fitted on "
            "Thursday), and the night staff close it by hand after midnight. Tell us if it "
            "still wakes you.",
        )

    yield ago(21 - escalation.period().days, 21, 15)
    escalation.escalate_untouched()

    yield ago(5, 10, 0)
    # He had been told of every trial order and dose (medications/investigational.py); he reads
    # them as he opens the investigation. The doses since are still waiting on his home page.
    told = Alert.objects.filter(
        recipient=people["carrasco"], kind__startswith="investigational_", read_at__isnull=True
    )
    if told.exists():
        alerts.acknowledge(people["carrasco"], list(told.values_list("pk", flat=True)))
    opened = investigations.open_investigation(
        people["carrasco"],
        "Memory loss among residents on the Mnemosyne-7 trial",
        complaint=sister,
    )
    on_trial = list(
        Resident.objects.filter(
            administrations__order__protocol__investigational=True,
            administrations__status=AdministrationStatus.GIVEN,
        )
        .distinct()
        .order_by("pk")
    )
    yield ago(5, 10, 20)
    investigations.grant_access(
        people["carrasco"],
        opened,
        investigator=people["investigator"],
        residents=on_trial,
        staff=[people["colin"], people["prescriber"]],
        expires_at=until + dt.timedelta(days=25),
        reason="Read the trial residents' records, and what the supervisor and the prescriber "
        "did with them, against the sister's complaint and the safety signal.",
    )
