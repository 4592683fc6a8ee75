"""What the record treats as final, the database refuses to change: a protocol's limits, an
order's dose and schedule (only discontinuing is allowed, once), every administration and every
stopped attempt."""

from django.db import migrations

from homecoming.core.dbguards import changed, guard, refuse

PROTOCOL_TERMS = (
    "drug",
    "form",
    "strength_amount",
    "strength_unit",
    "limit_unit",
    "max_single_dose",
    "max_daily_dose",
    "min_interval_minutes",
    "controlled",
    "investigational",
    "consent_code",
)
ORDER_TERMS = (
    "resident_id",
    "protocol_id",
    "dose_amount",
    "dose_unit",
    "route",
    "frequency",
    "starts_at",
    "prescribed_by_id",
    "prescribed_at",
)


class Migration(migrations.Migration):
    dependencies = [("medications", "0001_initial")]
    operations = [
        guard(
            refuse(
                "medications_protocol",
                "UPDATE",
                "a retired protocol is final",
                when="OLD.retired_at IS NOT NULL",
            ),
            refuse(
                "medications_protocol",
                "UPDATE",
                "the limits of a protocol are final: add a new protocol",
                when=changed(*PROTOCOL_TERMS),
                name="terms",
            ),
            refuse("medications_protocol", "DELETE", "protocols are retired, never deleted"),
            refuse(
                "medications_order",
                "UPDATE",
                "a discontinued order is final",
                when="OLD.discontinued_at IS NOT NULL",
            ),
            refuse(
                "medications_order",
                "UPDATE",
                "the terms of an order are final: discontinue it and write a new one",
                when=changed(*ORDER_TERMS),
                name="terms",
            ),
            refuse("medications_order", "DELETE", "orders are discontinued, never deleted"),
            *[
                refuse(table, op, "the administration record is append-only")
                for table in ("medications_administration", "medications_dosestop")
                for op in ("UPDATE", "DELETE")
            ],
        )
    ]
