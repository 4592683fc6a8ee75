"""Every mapping module, imported once so each registers its sources (sources._load)."""

from . import (  # noqa: F401
    map_audit,
    map_care,
    map_measures,
    map_medications,
    map_record,
    map_stays,
)
