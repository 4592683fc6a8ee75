"""Headers every answer carries, for a browser on a shared workstation in a center."""

from django.utils.cache import add_never_cache_headers

# Nothing in Homecoming uses a camera, a microphone, the location or a payment: a page that
# somehow ran foreign script still could not ask for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "browsing-topics",
    )
)


class ProductionHeaders:
    """`Cache-Control: no-store` on every answer that passes here, and a Permissions-Policy.

    Static files never reach this middleware (WhiteNoise, above it, answers them with their own
    long-lived caching); everything else may carry resident data (a page, an API answer, an
    export, a recording), and the simplest rule that cannot forget one is: none of it is kept by
    the browser's cache or a proxy, so the next person at the keyboard cannot bring it back with
    the Back button or from the disk cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):  # (a view may have said so)
            add_never_cache_headers(response)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
