"""What the center keeps that belongs to no record: the API's idempotency keys."""

from django.conf import settings
from django.db import models


class IdempotentRequest(models.Model):
    """A write sent with an Idempotency-Key, and the answer it got (core/idempotency.py).

    Kept 24 hours, then forgotten by the worker: long enough for any retry. The answer may name
    a resident; it is shown again only to the caller who made the write, after they log in."""

    caller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    # sha256 of the method, the path with its query, and the body: the same key with another
    # request is refused rather than answered with the first request's answer.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="one_answer_per_key"),
        ]

    def __str__(self):
        return f"{self.key} ({self.caller_id})"
