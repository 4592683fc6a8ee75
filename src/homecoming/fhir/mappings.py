"""Every mapping module, imported once so each registers its sources (sources._load)."""

from . import (
    map_care,  # noqa: F401
    map_stays,  # noqa: F401
)
