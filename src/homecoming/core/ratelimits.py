"""Rate limits for pages anyone may post to without an account (the public complaint form and
its receipt), with django-ratelimit counting in the shared cache (core/sharedcache.py) per client
address (core/client_ip.py, through the trusted proxies only).

A limited request is answered 429 with a page that says when to come back and where else to
turn, never a bare 403: the person may be a frightened complainant, not an attacker. And a
request body larger than the page can ever need is refused (413) before Django reads it: the
CSRF check would otherwise write every uploaded byte to a temporary file first."""

import functools

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import get_usage


def usage(request, group: str, rate: str, *, key="ip", increment=True):
    """django-ratelimit's count for `group` (None when limits are switched off); `key` is "ip"
    or a text of one's own (e.g. a receipt and an address)."""
    if key != "ip":
        value = key
        key = lambda _group, _request: value  # noqa: E731
    return get_usage(request, group=group, key=key, rate=rate, increment=increment)


def too_many(request, retry_after: int, what: str):
    minutes = max(1, -(-retry_after // 60))
    response = render(request, "429.html", {"what": what, "minutes": minutes}, status=429)
    response["Retry-After"] = str(max(1, retry_after))
    return response


def wait_for(request, group: str, rate_setting: str) -> int | None:
    """Count this request from its address in `group`: None while under the rate in
    settings.`rate_setting` (e.g. "5/h"), else the seconds until it may come back. The pages
    (`limited`) and the API (oversight/api.py) count in the same groups, so one address has
    one allowance whichever way it asks."""
    used = usage(request, group, getattr(settings, rate_setting))
    if used is not None and used["should_limit"]:
        return used["time_left"]
    return None


def limited(group: str, rate_setting: str, what: str):
    """Count each POST from one address in `group`; above the rate in settings.`rate_setting`
    (e.g. "5/h"), answer 429. GETs (reading the form) are never counted."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                wait = wait_for(request, group, rate_setting)
                if wait is not None:
                    return too_many(request, wait, what)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def max_body(megabytes_of):
    """Mark a view with the largest request body it accepts, in megabytes (a function of the
    settings, read per request); RequestBodyLimit refuses larger ones unread."""

    def decorate(view):
        view.max_body_megabytes = megabytes_of
        return view

    return decorate


class RequestBodyLimit:
    """Before the CSRF check reads the body: a request to a view marked with `max_body` whose
    Content-Length is larger is answered 413 (Django reads no more than Content-Length)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        megabytes_of = getattr(view_func, "max_body_megabytes", None)
        if megabytes_of is None or request.method != "POST":
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = megabytes_of() * 1024 * 1024
        if length <= limit:
            return None
        message = (
            f"What you sent is {length / (1024 * 1024):.1f} MB; this form takes at most "
            f"{megabytes_of()} MB in all. Send fewer or smaller files."
        )
        return render(request, "400.html", {"message": message}, status=413)
