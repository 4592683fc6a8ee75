"""HOMECOMING_EMAIL_URL -> Django's e-mail settings, read once in settings.py.

    smtp://user:pass@host:587        SMTP, plain (port 25 when none is given)
    smtp+tls://user:pass@host:587    SMTP with STARTTLS
    smtp+ssl://user:pass@host:465    SMTP over TLS from the first byte
    file:///path/to/folder           one file per e-mail in that folder (Django's file backend)
    console://                       printed on the standard output
    anymail+ESP://?key=value&...     a provider's HTTP API through django-anymail (ESP: mailgun,
                                     postmark, sendgrid, amazon_ses, ...); each query parameter
                                     becomes the ANYMAIL setting ESP_KEY, e.g.
                                     anymail+mailgun://?api_key=K&sender_domain=mg.example.org

User name and password are percent-decoded (write @ as %40). Unset: files in DATA_DIR/outbox."""

import importlib.util
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

SMTP_SCHEMES = {"smtp": (False, False), "smtp+tls": (True, False), "smtp+ssl": (False, True)}
SCHEMES = (*SMTP_SCHEMES, "file", "console", "anymail+ESP")


def parse(url: str, *, outbox: Path) -> dict:
    """The Django settings (EMAIL_BACKEND, EMAIL_HOST, ...) a URL stands for; every mistake in
    it named at once."""
    url = (url or "").strip()
    if not url:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(outbox),
        }
    problems = []
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"HOMECOMING_EMAIL_URL is not a valid URL: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme in SMTP_SCHEMES:
        use_tls, use_ssl = SMTP_SCHEMES[scheme]
        if not parts.hostname:
            problems.append("an SMTP URL needs a host name (smtp://host:587)")
        if parts.path not in ("", "/"):
            problems.append(f"an SMTP URL has no path (found {parts.path!r})")
        if problems:
            _refuse(url, problems)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": port or (465 if use_ssl else 587 if use_tls else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": use_tls,
            "EMAIL_USE_SSL": use_ssl,
            "EMAIL_TIMEOUT": 10,  # sent after commit, in the request: never wait long
        }
    if scheme == "file":
        if parts.netloc:
            problems.append("a file URL has three slashes and an absolute path (file:///path)")
        if not parts.path.startswith("/"):
            problems.append("a file URL needs an absolute folder path (file:///var/mail/out)")
        if problems:
            _refuse(url, problems)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": unquote(parts.path),
        }
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme.startswith("anymail+"):
        esp = scheme.removeprefix("anymail+").replace("-", "_")
        if not esp.isidentifier() or importlib.util.find_spec(f"anymail.backends.{esp}") is None:
            _refuse(url, [f"django-anymail has no provider {esp!r}"])
        options = {f"{esp}_{key}".upper(): value for key, value in parse_qsl(parts.query)}
        return {"EMAIL_BACKEND": f"anymail.backends.{esp}.EmailBackend", "ANYMAIL": options}
    _refuse(url, [f"unknown scheme {parts.scheme!r}; use one of: {', '.join(SCHEMES)}"])


def _refuse(url, problems):
    parts = urlsplit(url)
    shown = f"{parts.scheme}://{parts.hostname or ''}"  # never the password or an API key
    raise ImproperlyConfigured(f"HOMECOMING_EMAIL_URL ({shown}): " + "; ".join(problems) + ".")
