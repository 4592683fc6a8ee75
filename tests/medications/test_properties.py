"""Properties of the whole service, on the database: whatever nurses try, in any order and at any
times (late charting included), with consent given and withdrawn along the way, no 24-hour window
holds more than the protocol's maximum and no dose is given without consent in force."""

import contextlib
import datetime as dt
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homecoming.consents import services as consents
from homecoming.consents.models import Consent, ConsentDocument
from homecoming.demo.clock import simulated
from homecoming.medications import administering
from homecoming.medications.doses import to_unit
from homecoming.medications.guard import WINDOW
from homecoming.medications.models import Administration
from homecoming.medications.orders import consent_purpose
from tests.consents.helpers import witnessed_by

START = dt.datetime(2026, 5, 4, 6, 0, tzinfo=dt.UTC)

steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("give"),
            st.sampled_from(["25", "50", "75", "100", "0.05", "25000"]),
            st.sampled_from(["mg", "mg", "g", "mcg"]),
            st.integers(min_value=0, max_value=12 * 60 - 1),  # charted this many minutes late
            st.booleans(),  # with a co-signed override of the interval
        ),
        st.tuples(st.just("wait"), st.integers(min_value=1, max_value=20 * 60)),
        st.tuples(st.just("revoke")),
        st.tuples(st.just("sign")),
    ),
    min_size=1,
    max_size=25,
)


class Rollback(Exception):
    pass


@pytest.fixture
def setting(resident, add_protocol, consent_to, prescribe, staff, nurse):
    """Consent signed, then an as-needed order of 100 mg (protocol: 100 single, 200 in 24 h,
    6 h apart), built at START on a simulated clock."""
    with simulated(START - dt.timedelta(days=3)):
        protocol = add_protocol()
        consent_to(resident, protocol, days_ago=0)
    with simulated(START - dt.timedelta(days=2)):
        order = prescribe(resident, protocol, dose="100", frequency="as_needed")
    return order


def _apply(step, clock, order, staff, nurse):
    from tests.conftest import PASSWORD

    kind = step[0]
    if kind == "wait":
        clock.move_to(clock.now() + dt.timedelta(minutes=step[1]))
    elif kind == "give":
        _, amount, unit, late, override = step
        clock.move_to(clock.now() + dt.timedelta(seconds=1))
        # Stopped, or refused outright: either way nothing is given.
        with contextlib.suppress(ValidationError):
            administering.give(
                nurse,
                order,
                dose_amount=amount,
                dose_unit=unit,
                at=clock.now() - dt.timedelta(minutes=late),
                override=administering.Override(staff["clinician"], PASSWORD, "Cannot wait")
                if override
                else None,
            )
    elif kind == "revoke":
        consent = Consent.objects.filter(resident=order.resident, revoked_at__isnull=True).first()
        if consent is not None:
            consents.revoke(staff["caseworker"], consent, "The resident told me to stop.")
    elif kind == "sign":
        document = ConsentDocument.objects.get(code=order.protocol.consent_code)
        with contextlib.suppress(ValidationError):  # already consented
            consents.sign(
                staff["caseworker"], order.resident, document, **witnessed_by(staff["supervisor"])
            )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_no_sequence_of_attempts_overfills_a_window_or_doses_without_consent(
    setting, staff, nurse, steps
):
    order = setting
    protocol = order.protocol
    try:
        with transaction.atomic(), simulated(START) as clock:
            for step in steps:
                _apply(step, clock, order, staff, nurse)
            doses = list(Administration.objects.filter(order=order, status="given").order_by("at"))
            amounts = [(a.at, to_unit(a.dose_amount, a.dose_unit, "mg")) for a in doses]
            for end, _ in amounts:
                window = sum((m for t, m in amounts if end - WINDOW < t <= end), Fraction(0))
                assert window <= protocol.max_daily_dose
            for dose in doses:
                consent = consents.active_consent(
                    order.resident,
                    consent_purpose(protocol),
                    code=protocol.consent_code,
                    at=dose.at,
                )
                assert consent is not None, dose
            raise Rollback
    except Rollback:
        pass
