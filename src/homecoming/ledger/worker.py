"""The ledger's turn in the background worker (core/worker.py): sign a checkpoint when the ledger
has grown, and retry witness deliveries. Its queue is the database itself (due Delivery rows)."""

from .checkpoints import make_checkpoint
from .models import Checkpoint, Head
from .witnesses import deliver_pending


def one_round() -> tuple[int | None, int, int]:
    """(size of the checkpoint signed, or None), deliveries sent, deliveries failed."""
    latest = Checkpoint.objects.order_by("-tree_size").values_list("tree_size", flat=True).first()
    size = Head.objects.values_list("size", flat=True).get(pk=1)
    signed = make_checkpoint().tree_size if size > (latest or 0) else None
    sent, failed = deliver_pending()
    return signed, sent, failed


def at_start() -> list[str]:
    """When the worker starts: a database rolled back behind the ledger is alarmed at once."""
    from .rollback import check_and_alarm

    return check_and_alarm()
