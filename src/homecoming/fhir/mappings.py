"""Every mapping module, imported once so each registers its sources (sources._load)."""

from . import map_measures, map_record, map_stays  # noqa: F401
