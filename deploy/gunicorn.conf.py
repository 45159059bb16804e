"""gunicorn's settings for the AgriQCert web app (deploy/systemd/agriqcert-web.service uses it).

    gunicorn -c deploy/gunicorn.conf.py agriqcert.wsgi

Each setting can be overridden from the environment (GUNICORN_BIND, GUNICORN_WORKERS, …) without
editing this file. Sizing: the app is CPU-light per request except verification (a few ms of
canonicalisation and signature checking), so (2 × cores) + 1 synchronous workers is gunicorn's
usual start; a verification never holds a lock, so they run side by side.
"""

import multiprocessing
import os

# A bad number or address stops gunicorn naming the variable.
from core.environment import Bounds, env_int, env_networks, single_addresses

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # behind the reverse proxy that terminates TLS
workers = env_int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1, Bounds(1, 256))
worker_class = "sync"
# A request that takes longer than this is killed and logged; the API bounds its own work well below.
timeout = env_int("GUNICORN_TIMEOUT", 30, Bounds(1, 3600))
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 20, Bounds(1, 3600))  # the unit's TimeoutStopSec is longer
keepalive = 5
# Recycle workers now and then (jitter: not all at once), bounding any slow growth of memory.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 5000, Bounds(0, 10**7))
max_requests_jitter = 500
# Headers and body within bounds before Django sees them (the app refuses > 256 KB itself).
limit_request_line = 8190
limit_request_fields = 100
# Heartbeat files in memory, not on a disk that may stall (gunicorn's own advice in containers).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Logs to stdout/stderr: the journal (or the container runtime) collects them. Access lines are
# key=value, so LOG_FORMAT=json turns them into JSON objects like the app's own lines.
accesslog = "-"
errorlog = "-"
access_log_format = 'remote=%(h)s method=%(m)s path="%(U)s" status=%(s)s bytes=%(B)s duration_ms=%(M)s agent="%(a)s"'
if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "core.logs.JsonFormatter"}},
        "root": {"level": "INFO", "handlers": ["console"]},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }
# X-Forwarded-Proto (https) only from the proxies the app believes, TRUSTED_PROXIES. gunicorn takes
# single addresses only: a network listed there is left to the app, which drops the header from
# anyone else before Django reads it (core/client_ip.py). GUNICORN_FORWARDED_ALLOW_IPS overrides.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS") or ",".join(
    single_addresses(env_networks("TRUSTED_PROXIES", []))
)
proc_name = "agriqcert-web"
