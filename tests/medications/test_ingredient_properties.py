"""The per-ingredient guard as a property, on the database: whatever sequence of orders (under
either of two protocols of one ingredient, scheduled or as needed), discontinuations and doses
(on any order, late-charted, with or without a co-signed override) a prescriber and nurses try,
no 24-hour window holds more of the ingredient than its ceiling, and the running orders' 24-hour
maxima never add up to more than it either."""

import contextlib
import datetime as dt
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homecoming.demo.clock import simulated
from homecoming.medications import administering, ingredient_limits, orders
from homecoming.medications.doses import to_unit
from homecoming.medications.guard import WINDOW
from homecoming.medications.models import Administration, Order
from homecoming.medications.orders import Prescription

from .test_ingredient_limits import IBUPROFEN_200, IBUPROFEN_400

START = dt.datetime(2026, 5, 4, 6, 0, tzinfo=dt.UTC)
CEILING = Fraction(2400)  # mg in any 24 hours, the ingredient's (IBUPROFEN_400's limits)

give = st.tuples(
    st.just("give"),
    st.sampled_from([-1, -1, -1, 0, 1, 2]),  # which order: mostly the latest written
    st.sampled_from(["ordered", "ordered", "ordered", "200", "800", "0.4"]),
    st.sampled_from(["mg", "mg", "g"]),  # the unit of an amount that is not "ordered"
    st.one_of(st.just(0), st.integers(min_value=0, max_value=12 * 60 - 1)),  # charted late
    st.booleans(),  # with a co-signed override
)
wait = st.tuples(st.just("wait"), st.integers(min_value=1, max_value=12 * 60))
order = st.tuples(
    st.just("order"),
    st.integers(min_value=0, max_value=1),  # which protocol
    st.sampled_from(["200", "400", "800"]),
    st.sampled_from(["as_needed", "as_needed", "daily", "twice_daily", "three_times_daily"]),
)
stop = st.tuples(st.just("stop"), st.integers(min_value=0, max_value=5))
# Phases: an order, doses on any order, and often the order stopped and another written (the
# way round a per-order limit), so doses under several orders fall in one 24 hours.
phase = st.tuples(
    order, st.lists(st.one_of(give, give, wait), max_size=6), st.lists(stop, max_size=1)
)
steps = st.lists(phase, min_size=1, max_size=5).map(
    lambda phases: [step for o, rest, s in phases for step in (o, *rest, *s)]
)


class Rollback(Exception):
    pass


@pytest.fixture
def protocols(resident, add_protocol, consent_to):
    with simulated(START - dt.timedelta(days=3)):
        # No minimum interval: doses may follow each other, so only the ceilings hold them.
        first = add_protocol(IBUPROFEN_400, min_interval_minutes="0")
        second = add_protocol(IBUPROFEN_200, min_interval_minutes="0")
        consent_to(resident, first, days_ago=0)
    return first, second


def _apply(step, clock, resident, protocols, prescriber, nurse, staff):
    from tests.conftest import PASSWORD

    kind = step[0]
    running = list(Order.objects.filter(resident=resident).order_by("pk"))
    clock.move_to(clock.now() + dt.timedelta(seconds=1))
    if kind == "wait":
        clock.move_to(clock.now() + dt.timedelta(minutes=step[1]))
    elif kind == "order":
        _, which, dose, frequency = step
        prescription = Prescription(
            protocol=protocols[which],
            dose_amount=dose,
            dose_unit="mg",
            route="oral",
            frequency=frequency,
            # Written up to 12 hours back (a verbal order), so late-charted doses fall in it.
            starts_at=clock.now() - dt.timedelta(hours=12),
            acknowledge_duplicates=True,
        )
        with contextlib.suppress(ValidationError):
            orders.prescribe(prescriber, resident, prescription)
    elif kind == "stop" and running:
        with contextlib.suppress(ValidationError):
            orders.discontinue(prescriber, running[step[1] % len(running)], "Changed.")
    elif kind == "give" and running:
        _, which, amount, unit, late, override = step
        chosen = running[which % len(running)]
        if amount == "ordered":
            amount, unit = chosen.dose_amount, chosen.dose_unit
        with contextlib.suppress(ValidationError):
            administering.give(
                nurse,
                chosen,
                dose_amount=amount,
                dose_unit=unit,
                at=clock.now() - dt.timedelta(minutes=late),
                override=administering.Override(staff["clinician"], PASSWORD, "Cannot wait")
                if override
                else None,
            )


def _orders_maxima_within_the_ceiling(resident, now):
    running = [
        o
        for o in Order.objects.filter(resident=resident).select_related("protocol")
        if o.active_at(now) or o.starts_at > now and o.discontinued_at is None
    ]
    total = sum(
        (
            ingredient_limits.order_daily_maximum(
                o.protocol, o.dose_amount, o.dose_unit, o.frequency, "mg"
            )
            for o in running
        ),
        Fraction(0),
    )
    assert total <= CEILING


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_no_sequence_across_orders_passes_the_ingredients_ceiling(
    protocols, resident, prescriber, nurse, staff, steps
):
    try:
        with transaction.atomic(), simulated(START) as clock:
            for step in steps:
                _apply(step, clock, resident, protocols, prescriber, nurse, staff)
                _orders_maxima_within_the_ceiling(resident, clock.now())
            given_rows = Administration.objects.filter(resident=resident, status="given")
            amounts = [(a.at, to_unit(a.dose_amount, a.dose_unit, "mg")) for a in given_rows]
            for end, _ in amounts:
                window = sum((m for t, m in amounts if end - WINDOW < t <= end), Fraction(0))
                assert window <= CEILING
            raise Rollback
    except Rollback:
        pass
