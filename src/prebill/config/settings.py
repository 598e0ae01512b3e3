"""Django settings for prebill. Everything a deployment changes comes from PREBILL_* variables."""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from .database import database_from_url
from .mail import mail_from_url

PROJECT_DIR = Path(os.environ.get("PREBILL_HOME", Path.cwd()))
VAR_DIR = PROJECT_DIR / "var"

DEBUG = os.environ.get("PREBILL_DEBUG", "0") == "1"
# The development key is public, only good for a local demo: a production setup refuses to start with it
# (prebill.web.checks warns everywhere else).
DEMO_SECRET_KEY = "prebill-local-demo-key-not-for-production"
SECRET_KEY = os.environ.get("PREBILL_SECRET_KEY") or DEMO_SECRET_KEY
ALLOWED_HOSTS = os.environ.get("PREBILL_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

# PREBILL_PRODUCTION=1: served over HTTPS (behind a proxy that sets X-Forwarded-Proto when
# PREBILL_BEHIND_PROXY=1), secure cookies, HSTS; `prebill check --deploy` is clean with these.
PREBILL_PRODUCTION = os.environ.get("PREBILL_PRODUCTION", "0") == "1"
if PREBILL_PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("PREBILL_SSL_REDIRECT", "1") == "1"
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("PREBILL_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("PREBILL_HSTS_SUBDOMAINS", "1") == "1"
    SECURE_HSTS_PRELOAD = os.environ.get("PREBILL_HSTS_PRELOAD", "1") == "1"
    if not SECURE_HSTS_PRELOAD:  # a deliberate choice: the check need not repeat it
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    if os.environ.get("PREBILL_BEHIND_PROXY", "0") == "1":
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS if host]
    if SECRET_KEY == DEMO_SECRET_KEY:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("PREBILL_PRODUCTION=1 needs PREBILL_SECRET_KEY (at least 50 random characters)")

# Login throttling (prebill.accounts.throttle).
PREBILL_LOGIN_FAILURES = int(os.environ.get("PREBILL_LOGIN_FAILURES", "5"))
PREBILL_LOGIN_LOCKOUT_MINUTES = int(os.environ.get("PREBILL_LOGIN_LOCKOUT_MINUTES", "15"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # its own static files: /api/docs works offline (no CDN)
    "prebill.accounts",
    "prebill.jobs",
    "prebill.web",
    "prebill.organisation",
    "prebill.team",
    "prebill.clients",
    "prebill.catalogue",
    "prebill.engagements",
    "prebill.activity",
    "prebill.billing",
    "prebill.invoicing",
    "prebill.accounting",
    "prebill.payments",
    "prebill.proforma",
    "prebill.review",
    "prebill.orders",
    "prebill.attachments",
    "prebill.costs",
    "prebill.documents",
    "prebill.einvoicing",
    "prebill.sending",
    "prebill.training",
    "prebill.audit",
    "prebill.imports",
    "prebill.api",
    "prebill.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "prebill.api.middleware.ApiErrorsAsJson",
    "prebill.api.idempotency.IdempotencyKeys",
    "prebill.web.middleware.RefuseNulCharacters",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "prebill.web.refusals.RefusalsAsMessages",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# How long the API keeps the answer to a POST sent with an Idempotency-Key (prebill.api.idempotency).
PREBILL_IDEMPOTENCY_DAYS = int(os.environ.get("PREBILL_IDEMPOTENCY_DAYS", "1"))

ROOT_URLCONF = "prebill.config.urls"
WSGI_APPLICATION = "prebill.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "prebill.web.context.roles",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        os.environ.get("PREBILL_DATABASE_URL", f"sqlite:///{VAR_DIR / 'prebill.sqlite3'}"), base_dir=PROJECT_DIR
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# In production static files are served by WhiteNoise from STATIC_ROOT, collected with hashed, compressed names
# (`prebill serve --production` collects them); elsewhere by Django's own server (runserver --insecure).
if PREBILL_PRODUCTION:
    MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                      "whitenoise.middleware.WhiteNoiseMiddleware")
    STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
# Proofs (receipts, signed reports): outside the web root, served only through prebill's access checks.
PREBILL_FILES_DIR = Path(os.environ.get("PREBILL_FILES_DIR", VAR_DIR / "files"))

LOCALE_PATHS = [Path(__file__).resolve().parent.parent / "locale"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Uploads over 2.5 MB stream to temporary files; the import page refuses files over 50 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 60 * 1024 * 1024
# The largest file an import page accepts (timesheets, costs, portfolio), in bytes.
PREBILL_IMPORT_MAX_BYTES = int(os.environ.get("PREBILL_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

# Background jobs (prebill.jobs): Celery carries them, their rows hold the truth. No broker set: kombu's
# filesystem transport under var/broker (one machine, `prebill serve` starts a worker beside the web server);
# PREBILL_BROKER_URL=redis://... or amqp://... for workers on several machines. Tests and the command line's own
# runs do the work inline (PREBILL_RUNS_INLINE).
PREBILL_RUNS_INLINE = os.environ.get("PREBILL_RUNS_INLINE", "0") == "1"
PREBILL_BROKER_URL = os.environ.get("PREBILL_BROKER_URL", "")
PREBILL_QUEUE = os.environ.get("PREBILL_QUEUE", "prebill")
PREBILL_BROKER_FOLDER = Path(os.environ.get("PREBILL_BROKER_FOLDER", VAR_DIR / "broker"))


def duration_from_seconds(text: str) -> timedelta:
    """A duration given in seconds, decimals allowed ("0.5"), read exactly (no binary float)."""
    return timedelta(microseconds=int(Decimal(text.strip()) * 1_000_000))


PREBILL_JOB_HEARTBEAT = duration_from_seconds(os.environ.get("PREBILL_JOB_HEARTBEAT_SECONDS", "5"))
PREBILL_JOB_STALE_AFTER = duration_from_seconds(os.environ.get("PREBILL_JOB_STALE_SECONDS", "60"))
PREBILL_JOB_SWEEP_EVERY = duration_from_seconds(os.environ.get("PREBILL_JOB_SWEEP_SECONDS", "15"))
PREBILL_JOB_ATTEMPTS = int(os.environ.get("PREBILL_JOB_ATTEMPTS", "3"))
# Documents a chunk of a batch renders: chunks are what the workers share.
PREBILL_BATCH_CHUNK = int(os.environ.get("PREBILL_BATCH_CHUNK", "50"))
# The scheduler (Celery beat: `prebill beat`, or beside the worker of `prebill serve`): how often it asks whether
# the month's automatic preparation is due (prebill.billing.schedule), and where it keeps its own schedule file
# (beside the broker's folder: var/beat/schedule by default).
PREBILL_BEAT_EVERY = duration_from_seconds(os.environ.get("PREBILL_BEAT_SECONDS", "60"))
PREBILL_BEAT_SCHEDULE = Path(os.environ.get("PREBILL_BEAT_SCHEDULE", PREBILL_BROKER_FOLDER.parent / "beat" / "schedule"))

# The firm's Plateforme Agréée (XP Z12-013): where validated invoices and credit notes are sent and their life-cycle
# statuses read. No PREBILL_PA_URL: transmissions wait (queued, nothing lost) until one is configured. The secret
# comes from the environment only. `prebill serve --pa-simulator` sets these to the simulator it starts (the demo).
PREBILL_PA_URL = os.environ.get("PREBILL_PA_URL", "")
PREBILL_PA_TOKEN_URL = os.environ.get("PREBILL_PA_TOKEN_URL", "")
PREBILL_PA_CLIENT_ID = os.environ.get("PREBILL_PA_CLIENT_ID", "")
PREBILL_PA_CLIENT_SECRET = os.environ.get("PREBILL_PA_CLIENT_SECRET", "")
PREBILL_PA_ORGANIZATION = os.environ.get("PREBILL_PA_ORGANIZATION", "")
PREBILL_PA_SYNTAX = os.environ.get("PREBILL_PA_SYNTAX", "Factur-X")  # or CII, UBL
PREBILL_PA_TIMEOUT_SECONDS = int(os.environ.get("PREBILL_PA_TIMEOUT_SECONDS", "30"))
# Retries: the first after PREBILL_PA_RETRY_SECONDS, doubled each time up to PREBILL_PA_RETRY_MAX_SECONDS, at most
# PREBILL_PA_ATTEMPTS sendings; then the invoice waits for a user to send it again.
PREBILL_PA_RETRY = duration_from_seconds(os.environ.get("PREBILL_PA_RETRY_SECONDS", "60"))
PREBILL_PA_RETRY_MAX = duration_from_seconds(os.environ.get("PREBILL_PA_RETRY_MAX_SECONDS", "21600"))
PREBILL_PA_ATTEMPTS = int(os.environ.get("PREBILL_PA_ATTEMPTS", "8"))
# Invoices sent by e-mail (prebill.sending): the SMTP server from PREBILL_SMTP_URL (its password from the
# environment only), else files under var/outbox. Each sending is tried PREBILL_EMAIL_ATTEMPTS times, waiting
# PREBILL_EMAIL_RETRY_SECONDS more after each failure (a server busy for a moment), then left for a user's retry.
globals().update(mail_from_url(os.environ.get("PREBILL_SMTP_URL", ""), outbox=VAR_DIR / "outbox"))
DEFAULT_FROM_EMAIL = os.environ.get("PREBILL_EMAIL_FROM", "facturation@localhost")
EMAIL_TIMEOUT = int(os.environ.get("PREBILL_EMAIL_TIMEOUT_SECONDS", "30"))
PREBILL_EMAIL_ATTEMPTS = int(os.environ.get("PREBILL_EMAIL_ATTEMPTS", "3"))
PREBILL_EMAIL_RETRY = duration_from_seconds(os.environ.get("PREBILL_EMAIL_RETRY_SECONDS", "2"))

if PREBILL_PA_SYNTAX not in ("Factur-X", "CII", "UBL"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"PREBILL_PA_SYNTAX={PREBILL_PA_SYNTAX!r}: Factur-X, CII or UBL")
