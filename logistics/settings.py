"""Settings for the logistics portal, read from the environment (and a .env file).

Every value an operator may change is documented in docs/operations.md. Code reads
`django.conf.settings` when it runs; nothing copies a setting at import time.
"""

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.beat import BeatLazyFunc
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from logistics.schedule import nightly_date

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """A yes/no setting; anything but a clear yes or no stops the portal from starting
    (django-environ would read a typo such as DEBUG=flase as false without a word)."""
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw in TRUE_WORDS | FALSE_WORDS:
        return raw in TRUE_WORDS
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


# --- Core -----------------------------------------------------------------------------------

# Development is the default, so `make run` works with nothing set; production sets DEBUG=false
# and must then give a real SECRET_KEY and ALLOWED_HOSTS (CONTRACT.md).
DEBUG = env_bool("DEBUG", True)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be set to 50 or more random characters.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must list the portal's host names.")

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "logistics",  # the shared kernel: first, so its templates and user model come first
    "apartments",
    "maintenance",
    "dining",
    "quality",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "logistics.third_party.AxesConfig",  # django-axes, named in our catalogue
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "logistics.urls"
WSGI_APPLICATION = "logistics.wsgi.application"
AUTH_USER_MODEL = "logistics.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "logistics.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Keep connections open between requests: on a 2-core machine a fresh PostgreSQL connection
# per request cut a one-INSERT view from ~530 to ~130 requests/s (bench/conn_reuse,
# docs/decisions.md).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite (development, `make run`) serving parallel requests: every transaction takes the
    # write lock when it begins and waits up to 20 s for it, instead of starting as a reader
    # and failing with "database is locked" when two upgrade at once; the write-ahead log lets
    # pages be read while a save writes (tests/logistics/test_sqlite_web_server.py).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery --------------------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache, working as "no cache" while Redis is down (logistics.cache):
            # pages keep answering; a short socket timeout bounds what an unreachable Redis
            # costs them.
            "BACKEND": "logistics.cache.ResilientRedisCache",
            "LOCATION": env.str("REDIS_CACHE_URL", default=REDIS_URL),
            "KEY_PREFIX": "portal",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# With REDIS_URL Celery uses Redis as broker and result store; without it every task runs
# in-process at once, so a bare machine needs no broker.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when it has finished, and given back to the queue when the process
# running it dies (kill -9, out of memory): no task is lost with its worker. Tasks must
# therefore be safe to run twice; the nightly jobs are (logistics.nightly).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Sending a task from a request must not hold it up when the broker is away: connect within a
# second, no retries, then give up (logistics.publishing logs it; the outbox and the nightly
# watchdog pick up what the message would have done).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 0,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 5
# With late acknowledgement Redis hands a task that was taken but not acknowledged to another
# worker after `visibility_timeout`; it must exceed the longest task's hard time limit (the
# nightly jobs': a system check makes sure), or a long task would run twice. A task whose whole
# worker died is therefore redelivered only after this long; the nightly watchdog does not wait
# for that (it sees the run's lock released at once).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * 60 * 60,
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
}
CELERY_BEAT_SCHEDULE = {
    # The nightly jobs for the day that is ending (late enough that the day's work is in, early
    # enough to finish before the day shift starts): repairs nobody confirmed, the seal chain's
    # anchor, expired sessions. The date is fixed when beat sends the task, so a delivery
    # delayed past midnight still does that day; the task also catches up the dates each job
    # missed since its last success. Two beats would send it twice: harmless, each job runs
    # once per date (logistics.nightly).
    "nightly-jobs": {
        "task": "logistics.tasks.nightly",
        "schedule": crontab(hour=23, minute=30),
        "kwargs": {"for_date": BeatLazyFunc(nightly_date)},
    },
    # Runs left "running" by a dead worker are marked abandoned, unfinished dates retried with
    # backoff, and given up with an alert after NIGHTLY_JOB_MAX_ATTEMPTS.
    "nightly-watchdog": {
        "task": "logistics.tasks.nightly_watchdog",
        "schedule": crontab(minute="*/5"),
    },
    # The e-mail outbox: every notification e-mail that is due and was not sent at once (the
    # broker was down, the mail server refused, a worker died).
    "email-outbox": {
        "task": "logistics.tasks.send_due_emails",
        "schedule": crontab(minute="*/2"),
    },
}

# The nightly-job engine (logistics.nightly, docs/operations.md "Nightly jobs").
# How many past dates the nightly run catches up, at most, for a job that missed them.
NIGHTLY_CATCH_UP_DAYS = env.int("NIGHTLY_CATCH_UP_DAYS", default=7)
# Attempts a job gets per date (the first and the watchdog's retries) before an alert.
NIGHTLY_JOB_MAX_ATTEMPTS = env.int("NIGHTLY_JOB_MAX_ATTEMPTS", default=4)
# The first retry's delay after a failed attempt; it doubles with each attempt (at most 1 h).
NIGHTLY_RETRY_DELAY_SECONDS = env.int("NIGHTLY_RETRY_DELAY_SECONDS", default=300)
# Until this hour of the morning, "tonight's run" means the day that ended at midnight.
NIGHTLY_DAY_ENDS_AT_HOUR = 6

# --- Authentication -------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username/address before any password check.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend behind the per-account limit across addresses (logistics.signin).
    "logistics.signin.AccountLockoutBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Brute-force protection: five failures for one username from one address lock that pair
# out for 15 minutes; a success resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "logistics.access.lockout_response"
AXES_CLIENT_IP_CALLABLE = "logistics.access.client_ip"
# How many reverse proxies stand in front of the portal (docs/operations.md); 0 = none.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# And per account, from any address (logistics.signin): 20 failures within an hour lock the
# account for an hour, so N addresses cannot make 4N guesses. A limit of 0 turns it off.
ACCOUNT_LOCKOUT_FAILURE_LIMIT = env.int("ACCOUNT_LOCKOUT_FAILURE_LIMIT", default=20)
ACCOUNT_LOCKOUT_WINDOW = timedelta(minutes=env.int("ACCOUNT_LOCKOUT_WINDOW_MINUTES", default=60))
ACCOUNT_LOCKOUT_COOLOFF = timedelta(minutes=env.int("ACCOUNT_LOCKOUT_COOLOFF_MINUTES", default=60))

# --- Internationalisation -------------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Forms, API -----------------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "logistics.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "logistics.api.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["logistics.api.filters.StrictFilterBackend"],
    # The description adds the errors every endpoint can answer (logistics/api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "logistics.api.schema.PortalAutoSchema",
    # JSON in, as CONTRACT.md says (a form cannot say null); filing a repair adds multipart
    # for its photos.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "logistics.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_RATES": {"auth-token": env.str("TOKEN_THROTTLE_RATE", default="10/min")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Throttles tell clients apart by address: trust X-Forwarded-For only as far as our proxies.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "University logistics portal API",
    "DESCRIPTION": (
        "The API a mobile app or WeChat mini-program uses. Obtain a token at "
        "/api/v1/auth/token/ and send `Authorization: Token <token>`. Bodies are JSON "
        "(filing a repair may be multipart, for its photos). Errors are JSON too: "
        '`{"detail": "…"}`, and for bad input `"errors"` by field or query parameter. Text '
        "may not contain the NUL character (400). Photo URLs in answers are signed for the "
        "caller and open without a token, for 15 minutes by default."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "GenderEnum": "apartments.models.Gender",
        "GenderPolicyEnum": "apartments.models.GenderPolicy",
        "CategoryEnum": "apartments.models.Category",
        "RoomKindEnum": "apartments.models.RoomKind",
        "StayStatusEnum": "apartments.models.Stay.Status",
        "RoundKindEnum": "apartments.models.RoundKind",
        "RoundRoomStateEnum": "apartments.models.RoundRoom.State",
        "HazardKindEnum": "apartments.models.HazardKind",
        "ApplianceKindEnum": "apartments.models.ApplianceKind",
        "HazardStateEnum": "apartments.models.Hazard.State",
        "RoundRoomRecordStateEnum": [("ok", "ok"), ("findings", "findings")],
    },
}

# --- Security -------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, read by a statement compiled once (logistics/sessions.py).
SESSION_ENGINE = "logistics.sessions"
SESSION_COOKIE_AGE = 60 * 60 * 12  # one working day: a desk shift, not a semester
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # The load balancer's health probe may speak plain HTTP to the portal directly.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY", True):
        # The reverse proxy terminates TLS and says so in this header (docs/operations.md).
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy: everything from the portal itself, no inline script. Inline style
# attributes stay allowed for Bootstrap's progress bars and widths.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# How often the move-in dashboard refreshes itself. A desk does one resident every few
# seconds and the dashboard's queries are few and fixed, so every 10 seconds is cheap.
MOVE_IN_DASHBOARD_REFRESH_SECONDS = env.int("MOVE_IN_DASHBOARD_REFRESH_SECONDS", default=10)
# Viewers with the same view of the move-in dashboard share its live part for this many
# seconds (apartments.views.dashboard.live_html): on move-in day dozens of screens refresh it
# while the desks write. 0 computes it for every request.
MOVE_IN_DASHBOARD_CACHE_SECONDS = env.int("MOVE_IN_DASHBOARD_CACHE_SECONDS", default=2)

# How long a photo URL the API gives out stays valid (logistics.uploads.signed_photo_url): long
# enough to page through a ticket, short enough that a URL copied out of the app soon opens
# nothing.
PHOTO_URL_MAX_AGE = env.int("PHOTO_URL_MAX_AGE", default=15 * 60)

# Days a resident has to dispute a move-out charge, and to confirm or dispute their room's
# asset list after check-in.
MOVE_OUT_DISPUTE_DAYS = env.int("MOVE_OUT_DISPUTE_DAYS", default=7)
CONDITION_REPORT_DAYS = env.int("CONDITION_REPORT_DAYS", default=7)
# The nightly reminders (apartments.reminders): a condition report or keys due within this
# many days after the morning the reminder is read (0: due that day).
RESIDENT_REMINDER_DAYS = env.int("RESIDENT_REMINDER_DAYS", default=1)

# Shown on pages and in e-mails; the university's own name belongs here.
PORTAL_NAME = _("University Logistics Service Portal")
PORTAL_SHORT_NAME = _("Logistics services")  # in the top bar of a phone
# The portal's public address, for links in e-mails (e.g. https://hq.example.edu.cn).
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="")

# E-mail (notifications): EMAIL_URL like smtp+tls://user:password@smtp.example.edu.cn:587;
# unset, e-mails are printed to the console (development).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="logistics@localhost")
# Seconds any step of talking to the mail server may take (connect, each command): a slow
# server delays the outbox, never a page (e-mails are sent by a worker).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Attempts per e-mail before the outbox gives it up (1, 2, 4, … minutes apart).
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=8)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Repairs: days a reporter has to confirm (or reopen) a finished repair before it is confirmed
# automatically; a rating at or below FOLLOW_UP_RATING flags the ticket for a supervisor.
REPAIR_CONFIRM_DAYS = env.int("REPAIR_CONFIRM_DAYS", default=3)
# The labour rate (维修项目计票制): what one point of the repair items table is worth, in yuan.
# A job's labour cost is its points times this rate; its cost, labour plus materials.
REPAIR_YUAN_PER_POINT = Decimal(env.str("REPAIR_YUAN_PER_POINT", default="10.00"))
REPAIR_FOLLOW_UP_RATING = env.int("REPAIR_FOLLOW_UP_RATING", default=2)
# A ticket is "at risk" when this share of its promised time (or less) remains.
REPAIR_AT_RISK_SHARE = env.float("REPAIR_AT_RISK_SHARE", default=0.25)

# Dorm safety: the local time (HH:MM) by which each building files its nightly zero report;
# shown on the filing page. The nightly job raises zero_report_missing for those still missing.
ZERO_REPORT_DEADLINE = env.str("ZERO_REPORT_DEADLINE", default="23:00")
if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", ZERO_REPORT_DEADLINE):
    raise ImproperlyConfigured(
        f"ZERO_REPORT_DEADLINE must be a time such as 23:00, not {ZERO_REPORT_DEADLINE!r}."
    )

# Dorm safety rounds (apartments.rounds): every occupied room is checked at least every
# SAFETY_ROOM_CHECK_DAYS days (rooms with an open hazard on every round).
SAFETY_ROOM_CHECK_DAYS = env.int("SAFETY_ROOM_CHECK_DAYS", default=7)
if not 1 <= SAFETY_ROOM_CHECK_DAYS <= 365:
    raise ImproperlyConfigured(
        f"SAFETY_ROOM_CHECK_DAYS must be a number of days from 1 to 365, "
        f"not {SAFETY_ROOM_CHECK_DAYS!r}."
    )
# Days a hazard's room has to rectify it, by kind of hazard (the kinds of
# apartments.models.HazardKind). The environment may change some, as "kind=days,kind=days":
# SAFETY_HAZARD_DEADLINE_DAYS="banned_appliance=1,other=14".
SAFETY_HAZARD_DEADLINE_DAYS = {
    "banned_appliance": 1,
    "blocked_exit": 1,
    "smoking": 3,
    "tampered_wiring": 2,
    "extinguisher": 3,
    "other": 7,
}
for _pair in filter(None, env.str("SAFETY_HAZARD_DEADLINE_DAYS", default="").split(",")):
    _kind, _sep, _days = _pair.strip().partition("=")
    if _kind not in SAFETY_HAZARD_DEADLINE_DAYS or not re.fullmatch(r"[0-9]{1,3}", _days.strip()):
        raise ImproperlyConfigured(
            "SAFETY_HAZARD_DEADLINE_DAYS must read kind=days,… with kinds among "
            f"{', '.join(SAFETY_HAZARD_DEADLINE_DAYS)}, not {_pair!r}."
        )
    SAFETY_HAZARD_DEADLINE_DAYS[_kind] = int(_days)
# A hazard still unfixed this many days after its deadline is escalated from the building's
# managers (hazard_overdue) to the department head (hazard_escalated).
SAFETY_HAZARD_ESCALATE_DAYS = env.int("SAFETY_HAZARD_ESCALATE_DAYS", default=3)
if not 0 <= SAFETY_HAZARD_ESCALATE_DAYS <= 365:
    raise ImproperlyConfigured(
        "SAFETY_HAZARD_ESCALATE_DAYS must be a number of days from 0 to 365, "
        f"not {SAFETY_HAZARD_ESCALATE_DAYS!r}."
    )

# Late returns (晚归): a return before SAFETY_NIGHT_ENDS (local HH:MM) belongs to the night
# before; a resident with SAFETY_LATE_RETURN_REPEAT or more late returns in the current term
# stands out. Terms start on the SAFETY_TERM_STARTS days of every year (MM-DD, comma-separated;
# default the autumn term on 1 September and the spring term on 15 February).
SAFETY_NIGHT_ENDS = env.str("SAFETY_NIGHT_ENDS", default="06:00")
if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", SAFETY_NIGHT_ENDS):
    raise ImproperlyConfigured(
        f"SAFETY_NIGHT_ENDS must be a time such as 06:00, not {SAFETY_NIGHT_ENDS!r}."
    )
SAFETY_LATE_RETURN_REPEAT = env.int("SAFETY_LATE_RETURN_REPEAT", default=3)
if SAFETY_LATE_RETURN_REPEAT < 1:
    raise ImproperlyConfigured("SAFETY_LATE_RETURN_REPEAT must be 1 or more.")
SAFETY_TERM_STARTS = env.list("SAFETY_TERM_STARTS", default=["02-15", "09-01"])
for _start in SAFETY_TERM_STARTS:
    if not re.fullmatch(r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])", _start):
        raise ImproperlyConfigured(
            f"SAFETY_TERM_STARTS must list days such as 09-01, not {_start!r}."
        )

# Fire equipment: the monthly check sets the next one SAFETY_FIRE_CHECK_DAYS later; equipment
# expiring within SAFETY_FIRE_EXPIRY_WARN_DAYS (or expired, or overdue for its check) raises
# the building's fire_equipment_due alert at night.
SAFETY_FIRE_CHECK_DAYS = env.int("SAFETY_FIRE_CHECK_DAYS", default=30)
SAFETY_FIRE_EXPIRY_WARN_DAYS = env.int("SAFETY_FIRE_EXPIRY_WARN_DAYS", default=30)
if SAFETY_FIRE_CHECK_DAYS < 1 or SAFETY_FIRE_EXPIRY_WARN_DAYS < 0:
    raise ImproperlyConfigured(
        "SAFETY_FIRE_CHECK_DAYS must be 1 or more and SAFETY_FIRE_EXPIRY_WARN_DAYS 0 or more."
    )

# Shift hand-over: one still waiting for the incoming lead's acknowledgement after this many
# hours stands out on the building's hand-over page.
SAFETY_HANDOVER_STALE_HOURS = env.int("SAFETY_HANDOVER_STALE_HOURS", default=2)
if SAFETY_HANDOVER_STALE_HOURS < 1:
    raise ImproperlyConfigured("SAFETY_HANDOVER_STALE_HOURS must be 1 or more.")

# Dining (dining.prices, dining.safety): a dish's price may rise by at most PRICE_RISE_LIMIT
# percent over its price 30 days earlier without the dining manager's approval (备案); a retained
# food sample (留样) weighs at least FOOD_SAMPLE_MIN_GRAMS and is kept FOOD_SAMPLE_HOURS before
# it may be destroyed.
PRICE_RISE_LIMIT = env.int("PRICE_RISE_LIMIT", default=10)
if not 0 <= PRICE_RISE_LIMIT <= 1000:
    raise ImproperlyConfigured(
        f"PRICE_RISE_LIMIT must be a percentage from 0 to 1000, not {PRICE_RISE_LIMIT!r}."
    )
FOOD_SAMPLE_MIN_GRAMS = env.int("FOOD_SAMPLE_MIN_GRAMS", default=125)
if not 1 <= FOOD_SAMPLE_MIN_GRAMS <= 10_000:
    raise ImproperlyConfigured(
        f"FOOD_SAMPLE_MIN_GRAMS must be from 1 to 10000 grams, not {FOOD_SAMPLE_MIN_GRAMS!r}."
    )
FOOD_SAMPLE_HOURS = env.int("FOOD_SAMPLE_HOURS", default=48)
if not 1 <= FOOD_SAMPLE_HOURS <= 24 * 30:
    raise ImproperlyConfigured(
        f"FOOD_SAMPLE_HOURS must be from 1 to 720 hours, not {FOOD_SAMPLE_HOURS!r}."
    )

# The price-stability report's bands (dining.report): a dish below the first price (yuan) is
# "low", up to the second "middle", above it "high"; the target mix is 3:4:3.
_bands = env.list("DINING_PRICE_BANDS", default=["6", "12"])
try:
    DINING_PRICE_BANDS = tuple(Decimal(b) for b in _bands)
    if len(DINING_PRICE_BANDS) != 2 or not 0 < DINING_PRICE_BANDS[0] < DINING_PRICE_BANDS[1]:
        raise ValueError
except (ArithmeticError, ValueError):
    raise ImproperlyConfigured(
        f"DINING_PRICE_BANDS must be two prices in yuan, low then high, not {_bands!r}."
    ) from None

# RoleGrant's unique scope uses NULLS NOT DISTINCT, which PostgreSQL (production, CI) enforces
# and SQLite (the zero-setup development default) cannot; Django warns about the latter only.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

# Satisfaction surveys (quality.surveys): an invitation is open SURVEY_EXPIRY_DAYS days, a
# reminder goes out SURVEY_REMINDER_DAYS days after the invitation if still unanswered, and a
# result from fewer than SURVEY_MIN_RESPONSES answers is shown as "too few" (to protect the
# anonymity of those who answered).
SURVEY_EXPIRY_DAYS = env.int("SURVEY_EXPIRY_DAYS", default=14)
SURVEY_REMINDER_DAYS = env.int("SURVEY_REMINDER_DAYS", default=5)
SURVEY_MIN_RESPONSES = env.int("SURVEY_MIN_RESPONSES", default=5)
if not 1 <= SURVEY_EXPIRY_DAYS <= 365:
    raise ImproperlyConfigured(
        f"SURVEY_EXPIRY_DAYS must be a number of days from 1 to 365, not {SURVEY_EXPIRY_DAYS!r}."
    )
if not 1 <= SURVEY_REMINDER_DAYS < SURVEY_EXPIRY_DAYS:
    raise ImproperlyConfigured(
        "SURVEY_REMINDER_DAYS must be 1 or more and less than SURVEY_EXPIRY_DAYS, "
        f"not {SURVEY_REMINDER_DAYS!r}."
    )
if SURVEY_MIN_RESPONSES < 1:
    raise ImproperlyConfigured("SURVEY_MIN_RESPONSES must be 1 or more.")

# PDF downloads (logistics/pdf.py): WeasyPrint reports every layout step at INFO and font
# subsetting (fontTools) likewise; only its warnings and errors belong in the portal's log.
LOGGING["loggers"].update({"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}})
