"""The background worker: signs a checkpoint when the ledger has grown, and retries witness
deliveries. Its queue is the database itself (due Delivery rows), so it needs no other server;
`homecoming serve` runs it beside the web server, or run `homecoming worker --once` from cron."""

import logging
import signal
import time

from django.conf import settings
from django.db import close_old_connections

from . import signing
from .checkpoints import make_checkpoint
from .models import Checkpoint, Head
from .witnesses import deliver_pending

log = logging.getLogger("homecoming.worker")


def one_round() -> tuple[int | None, int, int]:
    """(size of the checkpoint signed, or None), deliveries sent, deliveries failed."""
    latest = Checkpoint.objects.order_by("-tree_size").values_list("tree_size", flat=True).first()
    size = Head.objects.values_list("size", flat=True).get(pk=1)
    signed = make_checkpoint().tree_size if size > (latest or 0) else None
    sent, failed = deliver_pending()
    return signed, sent, failed


def run(once: bool = False):
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    interval = settings.HOMECOMING_CHECKPOINT_MINUTES * 60
    warned = False
    while True:
        close_old_connections()  # a long-lived process: never reuse a dropped connection
        try:
            signed, sent, failed = one_round()
            if once or signed or sent or failed:
                made = f"signed checkpoint {signed}; " if signed else ""
                print(f"worker: {made}{sent} deliveries sent, {failed} failed", flush=True)
        except signing.KeyMissing as exc:
            if once:
                raise
            if not warned:  # keep serving, and start signing as soon as the key exists
                print(f"worker: {exc} No checkpoint is signed until then.", flush=True)
                warned = True
        except Exception:  # the worker must outlive a bad round; the next one retries
            log.exception("worker round failed")
            if once:
                raise
        if once:
            return
        deadline = time.monotonic() + interval
        while not stopping and time.monotonic() < deadline:
            time.sleep(1)
        if stopping:
            return
