"""A clock for building a demo center with a past: the builder lives the center's last months
in order, so every ledger entry carries the moment its event happened and the sequence of
entries is also the order of time (which is what the "as of" view relies on).

It replaces django.utils.timezone.now, which every service reads, for the duration of a build.
"""

import contextlib
import datetime as dt
import heapq
import itertools
from unittest import mock

from django.utils import timezone


class Clock:
    def __init__(self, start: dt.datetime):
        self.moment = start

    def now(self) -> dt.datetime:
        return self.moment

    def move_to(self, moment: dt.datetime):
        # Never backwards: entries appended later must not be dated earlier.
        self.moment = max(self.moment, moment)


@contextlib.contextmanager
def simulated(start: dt.datetime):
    real_now = timezone.now
    clock = Clock(start)
    with mock.patch("django.utils.timezone.now", clock.now):
        yield clock
    assert timezone.now is real_now


def live(clock: Clock, stories, until: dt.datetime):
    """Run interleaved stories in time order. A story is a generator that yields the moment of
    its next step; it is resumed at that moment (the clock set to it), does the step, and yields
    the next moment. Steps due after `until` are not run."""
    order = itertools.count()
    queue = []

    def advance(story):
        moment = next(story, None)
        if moment is not None and moment <= until:
            heapq.heappush(queue, (moment, next(order), story))

    for story in stories:
        advance(story)
    while queue:
        moment, _, story = heapq.heappop(queue)
        clock.move_to(moment)
        advance(story)
    clock.move_to(until)
