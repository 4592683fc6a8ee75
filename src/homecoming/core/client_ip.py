"""The address a request came from, as the lock-out and the rate limits see it.

Behind the TLS proxy every request arrives from the proxy's address, so the client's own is the
one the proxy wrote into X-Forwarded-For. That header is believed only when the request came
from a proxy named in HOMECOMING_TRUSTED_PROXIES (the same setting gunicorn uses for
X-Forwarded-Proto), and then only as far as trusted proxies wrote it: reading from the right,
the first address that is not a trusted proxy is the client. Anything further left was written
by the client itself and could be anything, so a client cannot choose its own address to dodge
a lock-out or to lock someone else out. With `*` (every peer is the proxy, as in the compose
recipe) exactly one hop is believed: the address the proxy itself added."""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _trusted(setting: str):
    """('*', []) or (None, [networks]) from the comma-separated setting."""
    names = [n.strip() for n in (setting or "").split(",") if n.strip()]
    if "*" in names:
        return "*", []
    networks = []
    for name in names:
        try:
            networks.append(ipaddress.ip_network(name, strict=False))
        except ValueError:
            continue  # a host name gunicorn may accept; it never matches an address here
    return None, networks


def _address(text: str):
    text = (text or "").strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_ip(request) -> str:
    """The client's address as text (the peer's own when no trusted proxy stands between)."""
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return request.META.get("REMOTE_ADDR", "") or "0.0.0.0"
    every, networks = _trusted(settings.HOMECOMING_TRUSTED_PROXIES)
    is_trusted = lambda a: any(a in n for n in networks)  # noqa: E731
    if not (every or is_trusted(peer)):
        return str(peer)
    hops = [_address(h) for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [h for h in hops if h is not None]
    if not hops:
        return str(peer)
    if every:
        return str(hops[-1])
    for hop in reversed(hops):
        if not is_trusted(hop):
            return str(hop)
    return str(hops[0])  # a chain of trusted proxies only: the first of them


def axes_client_ip(request) -> str:
    """For django-axes (AXES_CLIENT_IP_CALLABLE), which may hand over a request without META
    when it is called from a test or a script: that counts as the local machine."""
    if not hasattr(request, "META"):
        return "127.0.0.1"
    return client_ip(request)
