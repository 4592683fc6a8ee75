"""Every page shows times in the center's own time zone (set by `homecoming init` or on the
center's page), falling back to HOMECOMING_TIME_ZONE when the center has none yet."""

import zoneinfo

from django.utils import timezone

from .setup import center_zone_name


class CenterTimeZone:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            zone = zoneinfo.ZoneInfo(center_zone_name())
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # a zone the system lost: the default
            zone = None
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
