"""Every page shows times in the center's own time zone (set by `homecoming init` or on the
center's page), falling back to HOMECOMING_TIME_ZONE when the center has none yet."""

import zoneinfo

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from .models import Center

HEALTH_PATHS = ("/healthz", "/readyz")


class CenterTimeZone:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in HEALTH_PATHS:
            # Health checks show no times, and must answer (readyz: say why it is not ready)
            # when the database cannot: they never ask it here.
            return self.get_response(request)
        try:
            # The whole row, once: the page's header (core.context.center) shows it too.
            request.center = Center.objects.first()
            zone = zoneinfo.ZoneInfo(
                (request.center.time_zone if request.center else "") or settings.TIME_ZONE
            )
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # a zone the system lost: the default
            zone = None
        except DatabaseError:
            # The database is lost: the default zone, and the view answers the outage (503).
            zone = None
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
