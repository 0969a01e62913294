"""Kogame settings: everything an operator sets comes from the environment.

DATABASE_URL  unset -> an embedded SQLite file next to manage.py.
REDIS_URL     unset -> embedded mode: in-memory channel layer and the engine in the web process.
SECRET_KEY    required unless in embedded mode (which keeps one in .secret_key).
DEBUG         "1"/"true"/"yes"/"on" turn it on.
ALLOWED_HOSTS comma separated.
TRUSTED_PROXY_HOPS      how many proxies that append to X-Forwarded-For stand in front (default 0).
GUEST_MINTS_PER_MINUTE  new guests per client address per minute (default 30).
MAX_SOCKETS_PER_USER, MAX_SOCKETS_PER_ADDRESS  open websockets per web process (16, 64).
LOG_LEVEL     INFO by default.
LOG_FORMAT    "plain" (default: one readable line per record) or "json" (kogame/json_logs.py).
METRICS_PORT  runworker only: the port (or "first-last" range, or 0) of its Prometheus endpoint.
METRICS_TOKEN when set, GET /metrics asks for it as a bearer token.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


REDIS_URL = os.environ.get("REDIS_URL", "").strip()
# Embedded mode: one process serves pages, websockets and the engine, with no services.
EMBEDDED_ENGINE = not REDIS_URL

# Off unless asked for: the debug page shows settings and code to anyone who mistypes a URL.
DEBUG = _env_flag("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and EMBEDDED_ENGINE:
    # One laptop, no configuration: a key made on first use and kept beside manage.py.
    _key_file = BASE_DIR / ".secret_key"
    if not _key_file.exists():
        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set (it may be left out only in embedded mode)")

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if not ALLOWED_HOSTS and (DEBUG or EMBEDDED_ENGINE):
    # Embedded mode serves 127.0.0.1 only (scripts/serve).
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "daphne",
    # Before "channels": engine's runworker command adds the engine's lifecycle to channels' own.
    "engine",
    "players",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "players.middleware.GuestUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kogame.urls"

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

ASGI_APPLICATION = "kogame.asgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Reuse connections: opening one per query cost the web process a third of its DB time.
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The engine thread and request threads write concurrently: wait for the lock, never fail on it.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    # Tests share the database between threads: a file honours the busy timeout, the shared
    # in-memory cache does not (it fails with "table is locked").
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "players.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "lobby"
LOGOUT_REDIRECT_URL = "lobby"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served straight from the finders (no collectstatic): the Procfile's release step only migrates.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 times a socket out after 5 s, the layer's own blocking pop: disable it.
                # The default pool of 100 ran out when 100 sockets closed at once.
                "hosts": [{"address": REDIS_URL, "socket_timeout": None, "max_connections": 1000}],
                # Capacity is per process-wide channel and overflow is dropped silently: room for bursts.
                "capacity": 5000,
                "expiry": 30,
                "group_expiry": 86400,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 5000}}}

# How long a worker that stopped renewing its lease (dead, stopped, cut off) keeps its games
# before the other workers adopt them. Renewed once a second; at most 10 s.
LEASE_MS = _env_int("KOGAME_LEASE_MS", 5000)
if not 2000 <= LEASE_MS <= 10_000:
    raise ImproperlyConfigured("KOGAME_LEASE_MS must be between 2000 and 10000")

KOGAME = {
    # Websocket frames above this many bytes close the socket with 1009.
    "MAX_FRAME_BYTES": 4096,
    # Token bucket per socket: burst and sustained messages per second; over it closes with 1008.
    "RATE_BURST": 40,
    "RATE_PER_SECOND": 10.0,
    # Guest tokens for scripted clients stay valid this long.
    "TOKEN_MAX_AGE_SECONDS": 7 * 24 * 3600,
    # Snake queue: start at once with this many players, or with at least two after the wait below.
    "SNAKE_MATCH_PLAYERS": 4,
    "SNAKE_MATCH_WAIT_SECONDS": 3.0,
    # A Snake player alone in the queue this long is offered a game against bots of this level.
    "SNAKE_BOT_OFFER_SECONDS": 15.0,
    "SNAKE_BOT_OFFER_LEVEL": "medium",
    # Chess bots: "auto" plays Stockfish when it is installed and the built-in bot otherwise;
    # "stockfish" or "builtin" force one.
    "CHESS_BOTS": os.environ.get("KOGAME_CHESS_BOTS", "auto"),
    # The engine counts as alive if it ticked within this many seconds (GET /healthz).
    "HEARTBEAT_MAX_AGE_SECONDS": 5.0,
    "LEASE_MS": LEASE_MS,
    # Client address = the entry this many hops from the right of X-Forwarded-For (0: the peer's
    # address). Counted from the right because a client can write anything to the left of it.
    "TRUSTED_PROXY_HOPS": _env_int("TRUSTED_PROXY_HOPS", 0),
    # New guests (POST /api/guest and first page views together) per client address, per fixed
    # window; counted in Redis when REDIS_URL is set, so the limit holds across web processes.
    "GUEST_MINTS_PER_WINDOW": _env_int("GUEST_MINTS_PER_MINUTE", 30),
    "GUEST_MINT_WINDOW_SECONDS": 60,
    # Open websockets per user and per client address, counted in each web process.
    "MAX_SOCKETS_PER_USER": _env_int("MAX_SOCKETS_PER_USER", 16),
    "MAX_SOCKETS_PER_ADDRESS": _env_int("MAX_SOCKETS_PER_ADDRESS", 64),
    # HTTP request bodies above this many bytes get 413 (kogame.body_limit, before Django reads them).
    "MAX_REQUEST_BODY_BYTES": 64 * 1024,
    # Guests who never played and hold no queue seat are deleted this long after their last login
    # (or creation); each web process runs the purge at this interval.
    "STALE_GUEST_AGE_SECONDS": 24 * 3600,
    "GUEST_PURGE_INTERVAL_SECONDS": 3600,
}
if KOGAME["CHESS_BOTS"] not in ("auto", "stockfish", "builtin"):
    raise ImproperlyConfigured('KOGAME_CHESS_BOTS must be "auto", "stockfish" or "builtin"')
# Django's own check on request.body, for callers that skip the ASGI limit (the test client).
DATA_UPLOAD_MAX_MEMORY_SIZE = KOGAME["MAX_REQUEST_BODY_BYTES"]

# Plain lines read best in a terminal; JSON lines (with the worker and the game id as fields)
# suit a log store. Plain stays the default so a developer's console stays readable.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower() or "plain"
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured('LOG_FORMAT must be "plain" or "json"')

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "kogame.json_logs.JsonLogFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "daphne": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
    },
}

# `runworker`'s Prometheus endpoint (engine/metrics_server.py): a port, a range "first-last" in
# which it takes the first free port (several workers on one host, one configuration), or 0 for
# any free port (logged). Unset: no endpoint. Web processes answer GET /metrics on their own port.
METRICS_PORT = os.environ.get("METRICS_PORT", "").strip()
# When set, GET /metrics answers only requests that carry `Authorization: Bearer <token>`.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "").strip()

# Behind an HTTPS proxy (Heroku's router) set SECURE_COOKIES=1; plain-HTTP deployments keep it off.
SESSION_COOKIE_SECURE = _env_flag("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
