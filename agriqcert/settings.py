"""Django settings for AgriQCert.

Every value comes from the environment (or an optional `.env` file beside manage.py); see
`.env.example` for the full list. The defaults run the embedded mode, so one can just check out
the code and it works; production sets DEBUG=false, SECRET_KEY and MONGODB_URI.
"""

from __future__ import annotations

import logging
from pathlib import Path

from core.environment import (
    PORT,
    Bounds,
    env_bool,
    env_caches,
    env_choice,
    env_database,
    env_did,
    env_did_web,
    env_dids,
    env_int,
    env_list,
    env_networks,
    env_private_url,
    env_str,
    env_url,
    mongodb_database_name,
    private_sqlite_file,
    public_https,
    read_env_file,
    refuse_retired,
    require,
    secret_key,
    site_host,
)

BASE_DIR = Path(__file__).resolve().parent.parent

read_env_file(BASE_DIR / ".env")

# Off unless asked for: the debug pages show settings and code. scripts/run turns it on for a
# developer's own machine.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_key(
    "SECRET_KEY", debug=DEBUG, embedded=not env_str("MONGODB_URI"), key_file=BASE_DIR / "var" / "secret-key"
)
# Where the public pages live; used in credentials (context, status lists, did:web) and QR codes.
# Unset, `manage.py serve ADDR:PORT` sets it to the address it serves before these settings are
# read (manage.py), so that everything derived from it below reaches that server.
SITE_URL = env_url("SITE_URL", "http://localhost:8000")
# This machine's names, and SITE_URL's host (which `serve 0.0.0.0:PORT` makes this machine's name).
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", site_host(SITE_URL)])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The JSON-LD context every credential names: it is inside the signed data, so it must stay the
# same (and be served over HTTPS) for every certificate's whole life, whatever domain the app moves
# to. The app serves it at this URL's path too.
CREDENTIAL_CONTEXT_URL = env_url("CREDENTIAL_CONTEXT_URL", SITE_URL + "/contexts/agriqcert/v1")
if not DEBUG and env_str("MONGODB_URI"):  # a deployment, not the embedded demo
    public_https("SITE_URL", SITE_URL)
    public_https("CREDENTIAL_CONTEXT_URL", CREDENTIAL_CONTEXT_URL)

# Served over HTTPS (SITE_URL says so): secure cookies, HSTS, and a redirect from plain http.
HTTPS = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, Bounds(0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Preloading HSTS commits the whole domain to HTTPS in browsers for good: the domain's owner
# decides (SECURE_HSTS_PRELOAD), so check --deploy does not nag about it.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Debug pages and mailed 500s mask secrets in settings, headers, traceback variables and messages.
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.error_reports.SecretMaskingFilter"
DEFAULT_EXCEPTION_REPORTER = "core.error_reports.SecretMaskingReporter"

INSTALLED_APPS = [
    "agriqcert.apps.AgriQCertAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    # Layers, bottom up: core (shared, imports no app) → notifications, certificates → issuance →
    # web (pages) → agriqcert (the project: urls, admin site, the serve command).
    "core",
    "notifications",
    "certificates",
    "issuance",
    "web",
    "agriqcert",
]

MIDDLEWARE = [
    # First: X-Forwarded-* from anyone but TRUSTED_PROXIES is dropped before anything reads it.
    "core.client_ip.ForwardedHeadersMiddleware",
    # Probes and scrapers call the process by address over plain HTTP: answered before host checks.
    "agriqcert.operations.OperationsMiddleware",
    # Then: an oversized request is refused before anything reads it.
    "core.request_limits.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.security_headers.ContentSecurityPolicyMiddleware",
    # Serves the admin's, the pages' and the API docs' static files in production too.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A database that does not answer in time: 503 with a page that says so (never a 500).
    "core.database_unavailable.DatabaseUnavailableMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: refuses logins from a client locked out for guessing.
    "axes.middleware.AxesMiddleware",
]

# The reverse proxies in front of the app (addresses or CIDR networks): X-Forwarded-For and -Proto
# are believed from these peers only. Empty (the default): the socket's address is the client's.
# /metrics, rate limits and the login throttle all ask core/client_ip.py.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", [])
refuse_retired(
    "NUM_PROXIES",
    "list the reverse proxies' addresses in TRUSTED_PROXIES instead (e.g. TRUSTED_PROXIES=127.0.0.1,::1 "
    "for a proxy on this machine): X-Forwarded-For is now believed only from them",
)

# /metrics (agriqcert/operations.py): served to a scraper that sends this bearer token, or from
# these networks (by the client address above). Empty token: networks only.
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"])
if TRUSTED_PROXIES:  # the proxy terminates TLS and says so (ForwardedHeadersMiddleware: only it)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Login throttling (django-axes): 5 wrong passwords for one username from one address lock that
# pair out for 15 minutes; a success resets the count.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_address"
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"

ROOT_URLCONF = "agriqcert.urls"
# No request needs more: a certificate is a few KB, the largest credential a verifier reads 64 KB.
MAX_REQUEST_BYTES = 256 * 1024
# Except a photo or PDF of a certificate sent to the verify page or API (core.request_limits.takes_files):
# a phone photo is 2-5 MB, and credentials/images.py reads files up to 10 MB (on disk above 256 KB).
MAX_UPLOAD_BYTES = 11 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
WSGI_APPLICATION = "agriqcert.wsgi.application"

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
            ],
        },
    },
]

# Django's own tables (users, groups, sessions, admin log) live in SQL; domain data in MongoDB.
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
private_sqlite_file(DATABASES["default"])
# Rate limits and rendered images, shared by every web process and machine: Django's database
# cache in the database above (tables made by `migrate`), or Redis when CACHE_URL names one.
CACHES = env_caches("CACHE_URL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Unset: the embedded mode (mongomock in this process). Set: a real server or replica set.
MONGODB_URI = env_str("MONGODB_URI")
MONGODB_DB = mongodb_database_name("MONGODB_URI", MONGODB_URI) if MONGODB_URI else "agriqcert"
EMBEDDED_MODE = not MONGODB_URI
# The embedded store's shortcuts around mongomock's whole-collection scans (core/embedded_speedups.py).
# Its lock is always on; scripts/test turns these off for a second run of the queue and worker tests.
EMBEDDED_SPEEDUPS = env_bool("EMBEDDED_SPEEDUPS", True)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# The embedded mode (scripts/run) serves static files straight from the apps, without collectstatic.
WHITENOISE_USE_FINDERS = EMBEDDED_MODE
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

REST_FRAMEWORK = {
    # Token first, so an unauthenticated call gets 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A JSON API: the HTML forms live in the frontend.
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": ["core.request_limits.BoundedJSONParser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AgriQCert API",
    "DESCRIPTION": "Batches, inspections, certificate issuance, certificates and verification.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the bundled sidecar package: the docs work without internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api_schema.add_error_responses",
    ],
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, PORT)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "AgriQCert <noreply@localhost>")

# The issuance worker (issuance/worker.py). run_issuance_worker's --poll-interval, --concurrency and
# --grace take the same bounds as the variables they stand in for.
WORKER_POLL_INTERVAL_MS_BOUNDS = Bounds(10, 3_600_000)
WORKER_CONCURRENCY_BOUNDS = Bounds(1, 256)
# An hour at most: a stop that waits longer is a hang to whoever stops the worker.
WORKER_SHUTDOWN_GRACE_SECONDS_BOUNDS = Bounds(0, 3600)
WORKER_POLL_INTERVAL_MS = env_int("WORKER_POLL_INTERVAL_MS", 3000, WORKER_POLL_INTERVAL_MS_BOUNDS)
WORKER_CONCURRENCY = env_int("WORKER_CONCURRENCY", 2, WORKER_CONCURRENCY_BOUNDS)
WORKER_LEASE_SECONDS = env_int("WORKER_LEASE_SECONDS", 120, Bounds(10))
WORKER_SHUTDOWN_GRACE_SECONDS = env_int("WORKER_SHUTDOWN_GRACE_SECONDS", 30, WORKER_SHUTDOWN_GRACE_SECONDS_BOUNDS)
ISSUANCE_MAX_ATTEMPTS = 3
# A transient failure is retried after base × 2^(attempt-1) seconds, capped, times a jitter in [0.5, 1].
WORKER_RETRY_BASE_SECONDS = env_int("WORKER_RETRY_BASE_SECONDS", 30, Bounds(0))
WORKER_RETRY_MAX_SECONDS = env_int("WORKER_RETRY_MAX_SECONDS", 900, Bounds(1))
JOB_RETENTION_DAYS = env_int("JOB_RETENTION_DAYS", 30, Bounds(1))
NOTIFICATION_RETENTION_DAYS = env_int("NOTIFICATION_RETENTION_DAYS", 180, Bounds(1))
# In the embedded mode the web server runs the worker in background threads.
EMBEDDED_WORKER = env_bool("EMBEDDED_WORKER", True)

# Verifying what strangers hand us (certificates.trust.verify_from_stranger): the reading, canonicalising
# and signature checking run in worker processes, each limited in CPU time per document and in memory
# (credentials/isolation.py), so a hostile document gets a 422 while every other request is served. A
# certificate takes milliseconds and a few MB. 0 processes verifies in the web process (debugging only).
VERIFY_PROCESSES = env_int("VERIFY_PROCESSES", 2, Bounds(0, 64))
VERIFY_CPU_SECONDS = env_int("VERIFY_CPU_SECONDS", 2, Bounds(1, 60))
VERIFY_MEMORY_MB = env_int("VERIFY_MEMORY_MB", 512, Bounds(256, 65536))

# Credentials (certificates/credential_document.py) and the issuer (issuance/inji/).
CREDENTIAL_VALIDITY_DAYS = env_int("CREDENTIAL_VALIDITY_DAYS", 365, Bounds(1, 3650))
# An inspection is dated when it is recorded, and that date is signed as the assessment date. Above 0,
# the API takes an earlier inspected_at up to this many days back (a lab's result entered later);
# at 0 it refuses one, so no client can date an inspection as it likes (certificates.lifecycle).
INSPECTION_BACKDATING_DAYS = env_int("INSPECTION_BACKDATING_DAYS", 0, Bounds(0, 365))
INJI_MOCK_MODE = env_bool("INJI_MOCK_MODE", True)
# Inji Certify's base URL (with its servlet path, e.g. https://certify.example.org/v1/certify). Every
# request and credential goes to this origin only; an endpoint its metadata names elsewhere is refused.
INJI_API_URL = env_private_url("INJI_API_URL")
INJI_CREDENTIAL_CONFIGURATION_ID = env_str("INJI_CREDENTIAL_CONFIGURATION_ID", "AgriQualityCertificate")
INJI_ISSUER_DID = env_did("INJI_ISSUER_DID", "did:web:certify.example.org")
if not INJI_MOCK_MODE:
    require("when INJI_MOCK_MODE is false", INJI_API_URL=INJI_API_URL, INJI_ISSUER_DID=INJI_ISSUER_DID)
# Optional: the bearer token of the gateway an operator puts in front of Certify's unauthenticated
# pre-authorized-data and credential-status endpoints; sent to those two and nowhere else.
INJI_API_KEY = env_str("INJI_API_KEY")
# The holder key that signs the OpenID4VCI proof JWT (created on first use, mode 0600).
INJI_HOLDER_KEY_FILE = BASE_DIR / env_str("INJI_HOLDER_KEY_FILE", "var/inji-holder.key")
INJI_PROOF_ALG = env_choice("INJI_PROOF_ALG", "ES256", ("ES256", "Ed25519"))
INJI_TIMEOUT_SECONDS = env_int("INJI_TIMEOUT_SECONDS", 30, Bounds(1, 600))
MOCK_ISSUER_KEY_FILE = BASE_DIR / env_str("MOCK_ISSUER_KEY_FILE", "var/mock-issuer-ed25519.key")
# The mock issuer as did:web:<SITE_URL's host> (its DID document served at /.well-known/did.json,
# keys rotatable) instead of did:key: a name an importer recognises. did:web DIDs name a domain
# root here, so SITE_URL must have no path.
MOCK_ISSUER_DID_WEB = env_did_web("MOCK_ISSUER_DID_WEB", "SITE_URL", SITE_URL)
# Issuers whose certificates this deployment calls valid, besides its own (mock issuer, INJI_ISSUER_DID).
TRUSTED_ISSUERS = env_dids("TRUSTED_ISSUERS", "did:web:certs.example.org")

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
# key=value lines (the default), or one JSON object per line for Loki, ELK, Cloud Logging.
LOG_FORMAT = env_choice("LOG_FORMAT", "keyvalue", ("keyvalue", "json"))

if LOG_FORMAT == "json":
    logging.captureWarnings(True)  # a warning is a JSON line too, not raw text on stderr

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "keyvalue": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "loggers": {
        "agriqcert": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "core": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "web": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "issuance": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "certificates": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "credentials": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "notifications": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # Django's own warnings and errors (4xx/5xx responses, server errors), in the same format.
        "django": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # Its debug lines print every request's URL, and an Inji credential offer's URL hands out a
        # credential: never below WARNING, whatever LOG_LEVEL says.
        "urllib3": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # Python's warnings too, when they are routed to logging (LOG_FORMAT=json, below).
        "py.warnings": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
