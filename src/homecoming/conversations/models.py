"""Messages between a resident and their care team: threads with a subject, the messages in
them, and who read each message when. A resident writes to the team, never to one person, so a
message waits for whoever is on the team that day, and a caseworker away does not leave it
unread.

Nothing here is edited or deleted (database triggers refuse it): a message sent is in the
record as it was sent, and a read receipt stays."""

from django.conf import settings
from django.db import models


class Thread(models.Model):
    """A conversation about one subject, between a resident and their care team."""

    ledger_versioned = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="message_threads"
    )
    subject = models.CharField(max_length=200)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()

    class Meta:
        ordering = ["resident", "-started_at", "-id"]
        verbose_name = "message thread"

    def __str__(self):
        return f"thread “{self.subject}”"


class Message(models.Model):
    """One message as sent. `from_resident` is decided by the service from who is logged in
    (the resident's own account), never from what a form says: staff cannot write as the
    resident."""

    ledger_versioned = True

    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    # The thread's resident, kept on the row so each message is on the resident's record.
    resident = models.ForeignKey("residents.Resident", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_resident = models.BooleanField()
    body = models.TextField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["thread", "sent_at", "id"]
        indexes = [models.Index(fields=["thread", "sent_at"])]

    def __str__(self):
        return f"message #{self.pk}"

    def read_by(self, user) -> bool:
        """From the prefetched receipts (selectors load them with the thread)."""
        return any(r.reader_id == user.pk for r in self.receipts.all())


class Receipt(models.Model):
    """One person read one message, when. The author's own messages get none."""

    ledger_versioned = True

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="receipts")
    resident = models.ForeignKey("residents.Resident", on_delete=models.PROTECT, related_name="+")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        ordering = ["message", "read_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "reader"], name="message_read_once")
        ]
        verbose_name = "read receipt"

    def __str__(self):
        return f"message #{self.message_id} read by {self.reader_id}"
