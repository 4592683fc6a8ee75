"""The background worker: the center's scheduled work in one process, its queue the database
itself, so no other server is needed. `homecoming serve` runs it beside the web server; or run
`homecoming worker --once` from cron.

Each job has its own interval; the loop wakes every few seconds and runs the jobs that are due.
- ledger: sign a checkpoint when the ledger has grown, deliver it to the witnesses, retry.
- signals: scan the adverse event reports when new ones came in, and on a schedule.
- complaints: escalate to the oversight body every complaint left untouched too long.
- alerts: escalate critical alerts nobody acknowledged, retry e-mails that failed, and send the
  daily digests once their local hour has come.
- follow-ups: hourly, escalate overdue follow-up contacts and mark missed ones (followup/timers).
- safety plans: every 10 minutes, tell the supervisors of a risk flag with no safety plan signed
  within 24 hours, once per flag (safetyplans/timers).
- messages: every 10 minutes, tell the supervisors of a resident's message left unanswered by
  the care team for two working days, once per message (conversations/timers).
- corrections: hourly, tell the supervisors of a correction request unanswered for 30 days
  (HIPAA allows 60), once per request (corrections/timers).
- idempotency keys: hourly, forget the API's Idempotency-Keys older than 24 hours.
- database: check the live database against the ledger (at start, then every
  HOMECOMING_DATABASE_CHECK_HOURS); a mismatch alerts the oversight body and the director.
A failing job is logged and retried at its next turn; it never stops the others.
After every round the worker writes its heartbeat (core/readiness.py), which /readyz reads.
"""

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections

from homecoming.core import readiness

log = logging.getLogger("homecoming.worker")
TICK_SECONDS = 5


def _ledger() -> str | None:
    from homecoming.ledger import worker as ledger_worker
    from homecoming.ledger.rollback import RollbackDetected

    try:
        signed, sent, failed = ledger_worker.one_round()
    except RollbackDetected as exc:  # alerted already; the next round checks again
        return f"REFUSED to sign a checkpoint: {exc}"
    if signed or sent or failed:
        made = f"signed checkpoint {signed}; " if signed else ""
        return f"{made}{sent} deliveries sent, {failed} failed"
    return None


def _database() -> str | None:
    from homecoming.ledger import dbwatch

    report, new = dbwatch.run()
    if report.ok:
        return f"database check: OK ({report.entries} entries, {report.rows} record rows)"
    told = f"{len(new)} new, alerted to oversight and the director" if new else "alerted before"
    return f"database check: {len(report.problems)} problem(s) ({told})"


def _signals() -> str | None:
    from homecoming.safety import signals

    why = signals.due()
    if why is None:
        return None
    result = signals.scan(why)
    raised = ", ".join(str(s) for s in result.raised) or "no new signal"
    return f"signal scan ({why}) over {result.scan.reports} reports: {raised}"


def _complaints() -> str | None:
    from homecoming.oversight import escalation

    escalated = escalation.escalate_untouched()
    if escalated:
        return f"escalated {len(escalated)} untouched complaint(s) to the oversight body"
    return None


def _alerts() -> str | None:
    from homecoming.alerts import escalation, mail

    escalated = escalation.escalate_due()
    retried = mail.send_at_once()
    digests = mail.send_digests()
    said = [
        f"{len(escalated)} escalation alert(s)" if escalated else "",
        f"{retried} alert e-mail(s) sent" if retried else "",
        f"{digests} digest(s) sent" if digests else "",
    ]
    return ", ".join(s for s in said if s) or None


def _follow_ups() -> str | None:
    from homecoming.followup import timers

    return timers.run()


def _safety_plans() -> str | None:
    from homecoming.safetyplans import timers

    return timers.run()


def _messages() -> str | None:
    from homecoming.conversations import timers

    return timers.run()


def _corrections() -> str | None:
    from homecoming.corrections import timers

    return timers.run()


def _idempotency_keys() -> str | None:
    from homecoming.core import idempotency

    forgotten = idempotency.forget_old()
    return f"forgot {forgotten} API idempotency key(s) older than 24 hours" if forgotten else None


def _fhir_exports() -> str | None:
    from homecoming.fhir import exports

    return exports.run_waiting()


@dataclass
class Job:
    name: str
    every: Callable[[], float]  # seconds, read from the settings at each turn
    run: Callable[[], str | None]
    last: float | None = None

    def due(self, now: float) -> bool:
        return self.last is None or now - self.last >= self.every()


def jobs() -> list[Job]:
    return [
        Job("ledger", lambda: settings.HOMECOMING_CHECKPOINT_MINUTES * 60, _ledger),
        Job("signals", lambda: TICK_SECONDS, _signals),
        Job("complaints", lambda: 60.0, _complaints),
        Job("alerts", lambda: 60.0, _alerts),
        Job("follow-ups", lambda: 3600.0, _follow_ups),
        Job("safety plans", lambda: 600.0, _safety_plans),
        Job("messages", lambda: 600.0, _messages),
        Job("corrections", lambda: 3600.0, _corrections),
        Job("idempotency keys", lambda: 3600.0, _idempotency_keys),
        # A client polls its $export: written within a tick of being asked for.
        Job("FHIR exports", lambda: TICK_SECONDS, _fhir_exports),
        # Last: on a large database it takes a while, and it runs at every start.
        Job("database", lambda: settings.HOMECOMING_DATABASE_CHECK_HOURS * 3600, _database),
    ]


def one_round(todo: list[Job], *, once: bool, warned: set) -> None:
    from homecoming.ledger import signing

    now = time.monotonic()
    for job in todo:
        if not (once or job.due(now)):
            continue
        job.last = now
        try:
            said = job.run()
            if said or once:
                print(f"worker: {job.name}: {said or 'nothing to do'}", flush=True)
        except signing.KeyMissing as exc:
            if once:
                raise
            if job.name not in warned:  # keep serving; start signing once the key exists
                print(f"worker: {exc} No checkpoint is signed until then.", flush=True)
                warned.add(job.name)
        except Exception:  # a bad round must not stop the worker; the next turn retries
            log.exception("worker job %s failed", job.name)
            if once:
                raise


def _resume_exports():
    from homecoming.fhir import exports

    if exports.resume_interrupted():
        print("worker: FHIR exports interrupted by a stop are written again", flush=True)


def _check_rollback():
    from homecoming.ledger import worker as ledger_worker

    for problem in ledger_worker.at_start():
        print(f"worker: ALERT: {problem}; checkpoints are refused until resolved", flush=True)


def run(once: bool = False):
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    todo, warned = jobs(), set()
    _check_rollback()
    _resume_exports()
    while True:
        close_old_connections()  # a long-lived process: never reuse a dropped connection
        one_round(todo, once=once, warned=warned)
        try:
            readiness.beat()  # for /readyz: the worker is alive and its rounds come through
        except OSError as exc:  # the jobs matter more than the heartbeat: keep working
            if "heartbeat" not in warned:
                print(f"worker: cannot write the heartbeat ({exc}); /readyz will say so.")
                warned.add("heartbeat")
        if once:
            return
        deadline = time.monotonic() + TICK_SECONDS
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.5)
        if stopping:
            return
