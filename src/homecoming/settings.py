"""Project wiring. Everything an operator may change comes from the environment, so the same
code runs the zero-set-up demo (SQLite in ./var) and a production PostgreSQL deployment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
# Runtime state (the SQLite file, collected static files, uploads) lives outside the package.
DATA_DIR = Path(os.environ.get("HOMECOMING_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = os.environ.get("HOMECOMING_DEBUG", "") == "1"

# --- Production safety: secrets, headers, sessions, health (issue 12, part 4) -----------------
# Secrets never come from the source code. Each is read from the environment when given, or else
# from a file in the data directory made at first run (0600, created atomically so processes
# starting together agree; see core/keyfiles.py). The pseudonym key is separate from the session
# key, so rotating SECRET_KEY (which logs everyone out and voids audio tokens) renames no one in
# a research export.
from homecoming.core import keyfiles  # noqa: E402 (imports nothing from Django)


def _key(env_name: str, filename: str) -> str:
    if os.environ.get(env_name):
        return os.environ[env_name]
    try:
        return keyfiles.read_or_create(DATA_DIR / filename)
    except keyfiles.KeyFileError as exc:
        raise ImproperlyConfigured(f"{env_name} is not set and {exc}") from exc


SECRET_KEY = _key("HOMECOMING_SECRET_KEY", "secret.key")
HOMECOMING_PSEUDONYM_KEY = _key("HOMECOMING_PSEUDONYM_KEY", "pseudonym.key")

# Readiness (/readyz): the worker rewrites this file every round; the worker counts as stopped
# when the file is older than HOMECOMING_WORKER_STALE_SECONDS (raise it above the cron interval
# if the worker runs from cron with --once).
HOMECOMING_WORKER_HEARTBEAT = os.environ.get("HOMECOMING_WORKER_HEARTBEAT") or str(
    DATA_DIR / "worker.heartbeat"
)
HOMECOMING_WORKER_STALE_SECONDS = int(os.environ.get("HOMECOMING_WORKER_STALE_SECONDS", "120"))

# HTTPS (HOMECOMING_HTTPS=1, behind a TLS proxy): plain HTTP is redirected (except the health
# checks, which a container or load balancer asks over plain HTTP), and browsers are told by HSTS
# to use nothing but HTTPS for a year. Not the HSTS preload flag: preloading binds the whole
# registrable domain, which is its owner's decision, not a center's (so security.W021 is silenced).
HOMECOMING_HTTPS = os.environ.get("HOMECOMING_HTTPS", "") == "1"
SECURE_SSL_REDIRECT = HOMECOMING_HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = (
    int(os.environ.get("HOMECOMING_HSTS_SECONDS", "31536000")) if HOMECOMING_HTTPS else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HOMECOMING_HTTPS
# The proxies whose X-Forwarded-Proto gunicorn believes (`homecoming serve`): the TLS proxy's
# address, so a request that came in over HTTPS is known as such and not redirected again.
HOMECOMING_TRUSTED_PROXIES = os.environ.get("HOMECOMING_TRUSTED_PROXIES", "127.0.0.1")

# Content-Security-Policy (django-csp): scripts, styles, images, media and connections only from
# this site; no inline script or style (there are none: every page's style is in site.css), no
# eval, no plug-ins, no framing, forms post only here.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "media-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# An absolute session lifetime besides the idle timeout (HOMECOMING_IDLE_MINUTES, below): a
# session ends this many hours after its log-in however busy it is (accounts/middleware.py).
HOMECOMING_SESSION_HOURS = float(os.environ.get("HOMECOMING_SESSION_HOURS", "12"))
# ---------------------------------------------------------------------------------------------
ALLOWED_HOSTS = os.environ.get("HOMECOMING_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(
    ","
)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    # Only for its system checks: they refuse a cache the rate limits cannot count in.
    "django_ratelimit",
    "django_htmx",
    # django-ninja's own copies of Swagger UI and ReDoc: with "ninja" installed, the API's docs at
    # /api/v1/docs load them from this site, never from a CDN (which the CSP would refuse anyway).
    "ninja",
    "homecoming.core",
    "homecoming.ledger",
    "homecoming.accounts",
    "homecoming.access",
    "homecoming.alerts",
    "homecoming.residents",
    "homecoming.consents",
    "homecoming.medications",
    "homecoming.vitals",
    "homecoming.encounters",
    "homecoming.measures",
    "homecoming.safetyplans",
    "homecoming.conversations",
    "homecoming.corrections",
    "homecoming.timeline",
    "homecoming.outcomes",
    "homecoming.sharing",
    "homecoming.safety",
    "homecoming.oversight",
    "homecoming.discharge",
    "homecoming.followup",
    "homecoming.fhir",
    "homecoming.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A look is one entry: what a request disclosed is appended once, when its view is done.
    "homecoming.ledger.looks.Looks",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise, so static files keep their caching; every other answer is no-store.
    "homecoming.core.middleware.ProductionHeaders",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check reads a body: the public complaint pages refuse oversized ones unread.
    "homecoming.core.ratelimits.RequestBodyLimit",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Center set-up (issue 12): pages show times in the center's own time zone.
    "homecoming.residents.middleware.CenterTimeZone",
    "django_otp.middleware.OTPMiddleware",
    "homecoming.accounts.middleware.LoginRequired",
    "homecoming.accounts.middleware.SecondFactorRequired",
    "homecoming.accounts.middleware.PasswordChangeRequired",
    "django.contrib.messages.middleware.MessageMiddleware",
    "homecoming.accounts.middleware.SessionLifetime",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that a lock-out raised anywhere above is turned into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "homecoming.urls"
WSGI_APPLICATION = "homecoming.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "homecoming.core.context.center",
            ],
            # {% translate %} and {% blocktranslate %} in every template without a {% load %}.
            "builtins": ["django.templatetags.i18n"],
        },
    },
]

_default_sqlite = f"sqlite:///{DATA_DIR / 'homecoming.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or _default_sqlite,
        # Persistent connections: a worker keeps its connection for this many seconds instead of
        # opening one per request (0 closes it after each request, as Django does by default);
        # the health check replaces a connection the server has dropped before it is reused.
        conn_max_age=int(os.environ.get("HOMECOMING_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so two writers queue instead
        # of failing half-way; that also keeps the ledger's sequence gap-free on SQLite.
        # Reads run outside atomic blocks (a request's looks are written once, at its end), in
        # autocommit, and take no transaction at all, so they never wait for the write lock;
        # SQLite's WAL lets them run while a writer holds it. That is what "writes IMMEDIATE,
        # reads deferred" means here.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": None}
    # No persistent connection on SQLite: opening one is opening a file, and a kept one would
    # go on reading a database file that was moved away or replaced (a restore, a lost disk)
    # instead of failing and answering 503. Persistent connections are for PostgreSQL.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Prepared statements for the one statement that appends to the ledger (ledger/services.py
    # runs it on a server-binding cursor with prepare=True): PostgreSQL parsed and planned it on
    # every audited write, which cost more than running it. Django's own queries go through
    # client-side binding and are never prepared, whatever this says; Django leaves it None
    # (off) for connection poolers in transaction mode, which the deploy recipe does not use.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
    # No JIT compilation: it is for long analytical queries, and PostgreSQL judges by the
    # planner's cost alone. A query with per-row subqueries (the FHIR export's batch of 500
    # residents' encounters, each with its stay and its newest ledger version) is estimated
    # costly and spent 240 ms compiling for 7 ms of running, on every batch: the export ran
    # at half the speed it runs on SQLite (bench/fhir_export.py). Nothing this center asks
    # of its database is the kind of query JIT helps.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out username before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"

# Lock-out: five wrong passwords for one username from one address lock that username at that
# address for fifteen minutes (issue 13): someone elsewhere typing wrong passwords cannot lock a
# colleague out of their own workstation, and a lock-out there does not stop them here. The
# address is the client's as seen through the trusted proxies (core/client_ip.py). A colleague
# at the same address (the whole staff may share the center's) can still lock an account there;
# the lock-out page says whom to ask, and the administrator's unlock clears every address.
AXES_FAILURE_LIMIT = int(os.environ.get("HOMECOMING_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("HOMECOMING_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "homecoming.core.client_ip.axes_client_ip"
# W006: axes warns about lock-out by address alone; ours is by username and address together.
# django_ratelimit.W001: our default cache (core/sharedcache.py) and Django's own Redis backend
# are atomic where it counts, but not on ratelimit's short list of backends it knows.
SILENCED_SYSTEM_CHECKS = ["axes.W006", "security.W021", "django_ratelimit.W001"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Rate limits on the public complaint pages (django-ratelimit, oversight/public_limits.py), per
# client address (core/client_ip.py), counted in a cache every process shares
# (core/sharedcache.py; HOMECOMING_CACHE_URL, unset: files in DATA_DIR/cache).
from homecoming.core import sharedcache as _sharedcache  # noqa: E402

CACHES = _sharedcache.caches_for(os.environ.get("HOMECOMING_CACHE_URL", ""), data_dir=DATA_DIR)
RATELIMIT_USE_CACHE = "default"
RATELIMIT_IP_META_KEY = "homecoming.core.client_ip.client_ip"
HOMECOMING_COMPLAINT_RATE = os.environ.get("HOMECOMING_COMPLAINT_RATE", "5/h")
HOMECOMING_RECEIPT_RATE = os.environ.get("HOMECOMING_RECEIPT_RATE", "20/h")
HOMECOMING_RECEIPT_MESSAGES_PER_DAY = int(
    os.environ.get("HOMECOMING_RECEIPT_MESSAGES_PER_DAY", "10")
)

# Idle sessions expire HOMECOMING_IDLE_MINUTES after their last save. The session is written
# only when it changes (not on every request: that was one UPDATE per page view); to keep the
# idle timeout, accounts.middleware.SessionLifetime changes it (and so pushes the expiry
# forward) at most once every SESSION_ACTIVITY_SECONDS of activity. An idle session therefore
# ends between IDLE_MINUTES minus that minute and IDLE_MINUTES after the last request.
SESSION_COOKIE_AGE = int(os.environ.get("HOMECOMING_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = False
HOMECOMING_SESSION_ACTIVITY_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = os.environ.get("HOMECOMING_HTTPS", "") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

OTP_TOTP_ISSUER = "Homecoming"

# The center's language, chosen by setting (not by each browser's Accept-Language: staff and
# residents share one record, and a note reads the same to everyone). Every template string is
# marked for translation; English is complete (locale/en). A translation is added by copying
# locale/en to locale/<code>, translating it, `make messages` and listing the code here.
LANGUAGES = [("en", "English")]
LANGUAGE_CODE = os.environ.get("HOMECOMING_LANGUAGE", "en")
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"HOMECOMING_LANGUAGE is {LANGUAGE_CODE!r}: choose one of "
        f"{', '.join(code for code, _ in LANGUAGES)} (the languages translated in locale/)."
    )
# Dates, times and numbers in the center's locale: one format for each kind of moment, defined
# once per language in homecoming/formats/<language>/formats.py and named in templates
# (`|date` a day, `|date:"DATETIME_FORMAT"` a moment, `|time` a time of day) and in Python
# (homecoming.core.dates).
FORMAT_MODULE_PATH = ["homecoming.formats"]
USE_TZ = True
# With USE_TZ the database holds UTC; TIME_ZONE is only the zone times are shown in: the center's.
# Pages use the center's own zone (Center.time_zone, set by `homecoming init`); this one is the
# fallback, and the zone of the command line and the worker.
TIME_ZONE = os.environ.get("HOMECOMING_TIME_ZONE", "America/New_York")

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Tests and the demo server run without collectstatic having been run first.
WHITENOISE_USE_FINDERS = True

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# The audit ledger: its signing key (made by `homecoming ledger keygen`), how often the worker
# signs a checkpoint when the ledger has grown, and the witnesses every checkpoint is sent to:
# comma-separated HTTPS base URLs of C2SP tlog-witnesses, or folders another system collects.
HOMECOMING_LEDGER_KEY = os.environ.get("HOMECOMING_LEDGER_KEY") or str(DATA_DIR / "ledger.key")
HOMECOMING_LEDGER_NAME = os.environ.get("HOMECOMING_LEDGER_NAME", "homecoming.invalid/ledger")
HOMECOMING_CHECKPOINT_MINUTES = float(os.environ.get("HOMECOMING_CHECKPOINT_MINUTES", "5"))
HOMECOMING_WITNESSES = [
    w.strip() for w in os.environ.get("HOMECOMING_WITNESSES", "").split(",") if w.strip()
]
# How often the worker checks the live database against the ledger (`ledger verify --database`,
# also run when the worker starts); a mismatch alerts the oversight body and the director.
try:
    HOMECOMING_DATABASE_CHECK_HOURS = float(os.environ.get("HOMECOMING_DATABASE_CHECK_HOURS", "1"))
except ValueError:
    HOMECOMING_DATABASE_CHECK_HOURS = 0.0
if not 0 < HOMECOMING_DATABASE_CHECK_HOURS <= 24:
    raise ImproperlyConfigured(
        "HOMECOMING_DATABASE_CHECK_HOURS is a number of hours above 0 and at most 24 (got "
        f"{os.environ.get('HOMECOMING_DATABASE_CHECK_HOURS')!r}): the database check cannot be "
        "turned off."
    )

# The FHIR bulk export (fhir/bulk.py) shares its batches of residents among this many
# processes: turning rows into resources is Python's work, a core each. 2 keeps a core's worth
# for the web server on a small host while an export runs; 1 writes in the worker's own process.
_export_processes = os.environ.get("HOMECOMING_EXPORT_PROCESSES", "2")
if not (_export_processes.isdigit() and 1 <= int(_export_processes) <= 64):
    raise ImproperlyConfigured(
        f"HOMECOMING_EXPORT_PROCESSES is a whole number from 1 to 64 (got {_export_processes!r})."
    )
HOMECOMING_EXPORT_PROCESSES = int(_export_processes)

# Session recordings: the largest audio file accepted (in megabytes). Files are checked by their
# content, not their name, and kept in the default storage (DATA_DIR/media), never served directly.
HOMECOMING_RECORDING_MAX_MB = int(os.environ.get("HOMECOMING_RECORDING_MAX_MB", "200"))
# PCL-5 total at or above which PTSD is provisionally indicated (the National Center for PTSD
# suggests 31-33; programs choose theirs).
HOMECOMING_PCL5_CUTPOINT = int(os.environ.get("HOMECOMING_PCL5_CUTPOINT", "33"))

# Signal detection over adverse event reports: which rules raise a signal (any of them, comma-
# separated: evans, ror, ic, fisher; see safety/statistics.py), and how often the worker scans
# even when no report came in (a scan also runs after every new report).
HOMECOMING_SIGNAL_RULES = [
    r.strip() for r in os.environ.get("HOMECOMING_SIGNAL_RULES", "evans").split(",") if r.strip()
]
_unknown_rules = set(HOMECOMING_SIGNAL_RULES) - {"evans", "ror", "ic", "fisher"}
if _unknown_rules or not HOMECOMING_SIGNAL_RULES:
    raise ImproperlyConfigured(
        f"HOMECOMING_SIGNAL_RULES: unknown rule(s) {sorted(_unknown_rules)}; "
        "choose from evans, ror, ic, fisher."
    )
# Complaints: days a complaint may stay untouched by staff before it escalates to the oversight
# body (and again after each further such period), and the largest attachment accepted.
HOMECOMING_COMPLAINT_ESCALATION_DAYS = int(
    os.environ.get("HOMECOMING_COMPLAINT_ESCALATION_DAYS", "14")
)
HOMECOMING_ATTACHMENT_MAX_MB = int(os.environ.get("HOMECOMING_ATTACHMENT_MAX_MB", "10"))
# A resident's photo (JPEG or PNG): a face to know them by, not a print.
HOMECOMING_PHOTO_MAX_MB = int(os.environ.get("HOMECOMING_PHOTO_MAX_MB", "5"))
# Follow-up after discharge (followup/timers.py, run by the worker): days after a contact's due
# date before it escalates to the supervisors, and before it counts as missed (the person then
# lost to follow-up); days a self check-in link stays usable; guesses at check-in links allowed
# per address.
HOMECOMING_FOLLOW_UP_GRACE_DAYS = int(os.environ.get("HOMECOMING_FOLLOW_UP_GRACE_DAYS", "3"))
HOMECOMING_FOLLOW_UP_MISSED_DAYS = int(os.environ.get("HOMECOMING_FOLLOW_UP_MISSED_DAYS", "14"))
HOMECOMING_CHECK_IN_LINK_DAYS = int(os.environ.get("HOMECOMING_CHECK_IN_LINK_DAYS", "14"))
HOMECOMING_CHECK_IN_RATE = os.environ.get("HOMECOMING_CHECK_IN_RATE", "10/h")
HOMECOMING_SIGNAL_SCAN_INTERVAL = timedelta(
    hours=float(os.environ.get("HOMECOMING_SIGNAL_SCAN_HOURS", "24"))
)
# Signal detection counts each adverse event against every medicine the resident was given in
# this many days up to its onset (whatever the reporter suspected), as well as those suspected.
HOMECOMING_SIGNAL_EXPOSURE_DAYS = int(os.environ.get("HOMECOMING_SIGNAL_EXPOSURE_DAYS", "30"))
if not 0 <= HOMECOMING_SIGNAL_EXPOSURE_DAYS <= 3660:
    raise ImproperlyConfigured("HOMECOMING_SIGNAL_EXPOSURE_DAYS: a number of days, 0 to 3660.")

# Alerts and e-mail (homecoming.alerts). Every alert is e-mailed to its recipient, with no clinical
# detail: who it is for, how urgent, and a link to HOMECOMING_BASE_URL. HOMECOMING_EMAIL_URL says
# how (smtp://, smtp+tls://, smtp+ssl://, file:///folder, console://, anymail+ESP://; see
# alerts/mailconfig.py); unset, each e-mail is a file in DATA_DIR/outbox. Critical alerts nobody
# acknowledges escalate to the supervisors, then the program director, after these minutes;
# normal alerts of people who chose the digest leave once a day at this local hour.
from homecoming.alerts import mailconfig as _mailconfig  # noqa: E402

globals().update(
    _mailconfig.parse(os.environ.get("HOMECOMING_EMAIL_URL", ""), outbox=DATA_DIR / "outbox")
)
DEFAULT_FROM_EMAIL = os.environ.get("HOMECOMING_EMAIL_FROM", "Homecoming <homecoming@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
HOMECOMING_BASE_URL = os.environ.get("HOMECOMING_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
try:
    HOMECOMING_ALERT_ESCALATION_MINUTES = [
        int(m) for m in os.environ.get("HOMECOMING_ALERT_ESCALATION_MINUTES", "30,60").split(",")
    ]
    HOMECOMING_ALERT_DIGEST_HOUR = int(os.environ.get("HOMECOMING_ALERT_DIGEST_HOUR", "7"))
except ValueError as _exc:
    raise ImproperlyConfigured(
        "HOMECOMING_ALERT_ESCALATION_MINUTES is two whole numbers of minutes (e.g. 30,60) and "
        f"HOMECOMING_ALERT_DIGEST_HOUR a whole hour from 0 to 23: {_exc}"
    ) from None
_steps = HOMECOMING_ALERT_ESCALATION_MINUTES
if len(_steps) != 2 or not 0 < _steps[0] < _steps[1] or not 0 <= HOMECOMING_ALERT_DIGEST_HOUR < 24:
    raise ImproperlyConfigured(
        "HOMECOMING_ALERT_ESCALATION_MINUTES is two increasing numbers of minutes above 0 (to the "
        f"supervisors, then the program director; got {_steps}), and HOMECOMING_ALERT_DIGEST_HOUR "
        f"an hour from 0 to 23 (got {HOMECOMING_ALERT_DIGEST_HOUR})."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HOMECOMING_LOG_LEVEL", "WARNING")},
}
