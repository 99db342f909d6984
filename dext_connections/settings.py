"""Settings for every environment, read from the process environment (django-environ).

DJANGO_ENV is one of ``development`` (set by ``make run``), ``test`` (set by ``make test``) and
``production``. Unset, it is production: a process nobody configured runs with DEBUG off, no sandbox and
no secret with a default, or refuses to start with a message that says what to set. Outside development
the development key is refused, and in production the OAuth client registrations must be the real ones.
"""

import base64
import hashlib
from pathlib import Path
from urllib.parse import unquote

import environ
from django.core.exceptions import ImproperlyConfigured

from dext_connections.environment import django_env, required

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Written by the development launcher (dext_connections/devstack.py) so that a second shell's
# ``manage.py`` reaches the same embedded PostgreSQL and Redis as ``make run``.
_services_env = BASE_DIR / ".local" / "services.env"
if _services_env.exists():
    env.read_env(str(_services_env), overwrite=False)

DJANGO_ENV = django_env()[0]
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}")
IS_PRODUCTION = DJANGO_ENV == "production"
IS_DEVELOPMENT = DJANGO_ENV == "development"
DEBUG = env.bool("DEBUG", default=IS_DEVELOPMENT)


# Published in this repository, so usable on a developer machine only; the tests have a key of their own.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789"
TEST_SECRET_KEY = "test-only-insecure-key-never-deployed-9876543210-abcdefghij"
PUBLISHED_SECRET_KEYS = {DEVELOPMENT_SECRET_KEY, TEST_SECRET_KEY}
if IS_PRODUCTION:
    SECRET_KEY = required("SECRET_KEY", "Production needs a long random secret key of its own.")
else:
    SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY if IS_DEVELOPMENT else TEST_SECRET_KEY)
if SECRET_KEY == DEVELOPMENT_SECRET_KEY and not IS_DEVELOPMENT or SECRET_KEY == TEST_SECRET_KEY and IS_PRODUCTION:
    raise ImproperlyConfigured(
        "SECRET_KEY is a key published in this repository; it is accepted only where DJANGO_ENV says "
        "development (or test, for the test key). Set a secret key of your own."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Public base URL of this product, used for OAuth callbacks and sandbox URLs. ``make run`` sets it
# from $PORT; tests set it from the live server.
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "accounts",
    "integrations",
    "integrations.qbwc",
    "integrations.sandbox",
    "publishing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "dext_connections.middleware.ApplicationErrorMiddleware",
    "dext_connections.middleware.ContentSecurityPolicyMiddleware",
]

if IS_PRODUCTION:
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "dext_connections.urls"
WSGI_APPLICATION = "dext_connections.wsgi.application"

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
                "accounts.context_processors.switchers",
            ],
        },
    },
]

# PostgreSQL only: the product relies on row locks and SKIP LOCKED.
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/dext_connections")}
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
# A percent-encoded host is a Unix socket directory (the embedded server of ``make run``).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST") or "")
# Persistent connections: a new PostgreSQL backend per request or task costs more than the work of most
# publish batches (CONN_MAX_AGE=0 turns them off). Checked before reuse, so a restarted server is survived.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int("DB_CONNECT_TIMEOUT", default=5)
# Parameters travel apart from the SQL text (PostgreSQL's extended protocol) rather than being quoted into it by
# psycopg in Python, and a statement a connection runs a fifth time is prepared, so PostgreSQL plans it once: each
# cut the CPU per published item of `make bench-publish` by about a tenth. DB_SERVER_SIDE_BINDING=false and
# DB_PREPARE_THRESHOLD=0 go back to Django's defaults (needed behind PgBouncer in transaction mode before 1.21).
DATABASES["default"]["OPTIONS"]["server_side_binding"] = env.bool("DB_SERVER_SIDE_BINDING", default=True)
if env.int("DB_PREPARE_THRESHOLD", default=5) > 0:
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = env.int("DB_PREPARE_THRESHOLD", default=5)
# Behind PgBouncer in transaction mode (several worker hosts sharing one database), DB_PGBOUNCER=true is the one
# switch: a session's state does not follow it from transaction to transaction, so no prepared statements
# (prepare_threshold None), parameters quoted by psycopg, and no server-side cursors (DISABLE_SERVER_SIDE_CURSORS:
# a named cursor lives outside a transaction's pooled connection). PgBouncer 1.21+ with max_prepared_statements
# can keep prepared statements; the switch stays the safe choice for any version.
DB_PGBOUNCER = env.bool("DB_PGBOUNCER", default=False)
if DB_PGBOUNCER:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = False
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

# Django's cache lives in the shared Redis so that counters (sign-in throttles, allauth's rate limits) hold
# across every web process. Keys carry KEY_PREFIX, so they never meet Celery's own keys in the same database.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="dext"),
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# The client address of a request is REMOTE_ADDR unless this many trusted proxies in front of the app each
# append to X-Forwarded-For (then the address the nearest of them saw), and X-Forwarded-Proto is believed only
# then too; never trust those headers otherwise (anyone can send them to an app that faces the internet).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if DJANGO_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# django-allauth: email is the only identifier.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="none")
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# Failed sign-ins are counted by our own throttle (below), the same for allauth's login, the token API and
# the Django admin; allauth's "login_failed" limit would be a second, different count, so it is off. Its
# other limits (logins, sign-ups, password resets per address) stay on, in the shared cache.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
# Sign-in throttle (accounts/throttling.py): after SIGNIN_FAILURE_LIMIT failed sign-ins for one email address,
# or SIGNIN_ADDRESS_FAILURE_LIMIT from one client address, within SIGNIN_FAILURE_WINDOW_SECONDS of the first,
# every sign-in for it answers 429 until the window ends. A success clears the count of that email only.
SIGNIN_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=5)
SIGNIN_ADDRESS_FAILURE_LIMIT = env.int("SIGNIN_ADDRESS_FAILURE_LIMIT", default=20)
SIGNIN_FAILURE_WINDOW_SECONDS = env.int("SIGNIN_FAILURE_WINDOW_SECONDS", default=900)
# API tokens (POST /api/v1/auth/token/) stop working this long after they are issued; 0: never.
API_TOKEN_TTL_SECONDS = env.int("API_TOKEN_TTL_SECONDS", default=30 * 24 * 3600)
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if IS_PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@dext-connections.test")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / ".local" / "staticfiles"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / ".local" / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Secrets at rest: a list of Fernet keys, newest first. Add a new key in front to rotate;
# ``manage.py rotate_encryption_keys`` re-encrypts every stored secret with it.
if IS_PRODUCTION:
    FIELD_ENCRYPTION_KEYS = [
        key.strip()
        for key in required(
            "FIELD_ENCRYPTION_KEYS", "Stored tokens and passwords are encrypted with these Fernet keys (newest first)."
        ).split(",")
        if key.strip()
    ]
else:
    _derived = base64.urlsafe_b64encode(hashlib.sha256(f"fernet:{SECRET_KEY}".encode()).digest()).decode()
    FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[_derived])

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.SessionAuthentication",
        "accounts.authentication.HashedTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dext_connections.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dext Connections API",
    "DESCRIPTION": "Connections to accounting software and publishing of costs, expense claims and sales.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ProviderKindEnum": ["main", "additional"],
        "ItemKindEnum": "publishing.models.ItemKind",
        "ItemStateEnum": "publishing.models.ItemState",
    },
}

# Celery: Redis carries messages and counters only; PostgreSQL is the source of truth.
# The broker is Redis unless CELERY_BROKER_URL names another (RabbitMQ: amqp://…); Redis keeps the limits and cache.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Publish tasks are sent to "publish_interactive" (a user pressed Publish) or "publish_bulk" (bulk and
# automatic work) explicitly by publishing.pipeline; everything else goes to "default".
CELERY_BEAT_SCHEDULE = {
    "sweep-publish-jobs": {
        "task": "publishing.sweep_publish_jobs",
        "schedule": env.float("PUBLISH_SWEEP_SECONDS", default=30.0),
    },
    # Authorisation attempts hold PKCE verifiers and, while an organisation is being chosen, tokens.
    "purge-oauth-states": {"task": "integrations.purge_oauth_states", "schedule": 300.0},
    # The ledgers' lists: due every LISTS_SYNC_EVERY_HOURS, never synced, stalled or failed an hour ago.
    "sync-lists-due": {"task": "integrations.sync_lists_due", "schedule": env.float("LISTS_SWEEP_SECONDS", 900.0)},
}
PUBLISH_LEASE_SECONDS = env.int("PUBLISH_LEASE_SECONDS", default=120)
PUBLISH_DISPATCH_GRACE_SECONDS = env.int("PUBLISH_DISPATCH_GRACE_SECONDS", default=60)
PUBLISH_MAX_ATTEMPTS = env.int("PUBLISH_MAX_ATTEMPTS", default=10)
# Jobs of one connection published in one create request, at most (each provider has its own maximum).
PUBLISH_BATCH_MAX = env.int("PUBLISH_BATCH_MAX", default=100)
PUBLISH_BACKOFF_BASE_SECONDS = env.float("PUBLISH_BACKOFF_BASE_SECONDS", default=2.0)
PUBLISH_BACKOFF_MAX_SECONDS = env.float("PUBLISH_BACKOFF_MAX_SECONDS", default=300.0)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Providers' limit windows, ours and the sandbox's alike, multiplied by this (0.1: a six-second "minute", a
# 2.4-hour "day"): benchmarks and tests see a month-end's worth of limits in minutes. 1.0 in production.
RATE_LIMIT_TIME_SCALE = env.float("RATE_LIMIT_TIME_SCALE", default=1.0)
# Messages of one connection in flight at once (fair dispatch, publishing.pipeline); a small client's item waits
# behind this many batches of each other client. Parallel messages take disjoint batches: one whose jobs another
# is claiming takes the connection's next due ones (publishing.pipeline.next_fresh_jobs, FOR UPDATE SKIP LOCKED).
PUBLISH_STREAMS_PER_CONNECTION = env.int("PUBLISH_STREAMS_PER_CONNECTION", default=1)
# "Publish all ready items" of the month-end page: more ready items than this in all go by a task per client.
MONTH_END_INLINE_MAX = env.int("MONTH_END_INLINE_MAX", default=500)
# Attachments uploaded at once per connection, at most (each provider says how many it allows: uploads_at_once).
# Tests whose data lives in an open transaction use 1 (a thread of its own would not see it).
ATTACHMENT_UPLOADS_AT_ONCE = env.int("ATTACHMENT_UPLOADS_AT_ONCE", default=1 if DJANGO_ENV == "test" else 8)
# Xero's calls a day per organisation for this app's tier: 5,000, or 1,000 on the tier new apps start on.
XERO_DAY_LIMIT = env.int("XERO_DAY_LIMIT", default=5000)

# Provider sandbox (integrations/sandbox/): on in development and test, off in production unless asked. Outside
# development its own endpoints (documents, faults, reset) want ``Authorization: Bearer <SANDBOX_TOKEN>``.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=not IS_PRODUCTION)
SANDBOX_TOKEN = env.str("SANDBOX_TOKEN", default="test-sandbox-token" if DJANGO_ENV == "test" else "")
if SANDBOX_ENABLED and not IS_DEVELOPMENT and not SANDBOX_TOKEN:
    required(
        "SANDBOX_TOKEN", "The provider sandbox is switched on, and outside development its endpoints need a token."
    )
SANDBOX_TIMEOUT_SECONDS = env.float("SANDBOX_TIMEOUT_SECONDS", default=3.0)
# Generated entries added to a sandbox organisation's lists, by its id: {"<id>": {"accounts": 5000, ...}} (each
# provider's sandbox reads what it knows; bench/lists.py makes a large chart with it).
SANDBOX_GENERATED_LISTS = env.json("SANDBOX_GENERATED_LISTS", default={})


# Provider endpoints and OAuth app registrations are declared by each provider's package
# (integrations/providers/<provider>/endpoints.py) and resolved by integrations.http: an environment variable
# (named in that file) over the sandbox (when SANDBOX_ENABLED) over the real service. In production the OAuth
# registrations must be set; integrations refuses to start without them.

# Content-Security-Policy (dext_connections.middleware): origins forms may post to besides this site and the
# providers' authorize pages (which integrations registers), and the pages that may keep an inline <style>.
CSP_FORM_ACTION_ORIGINS: list[str] = []
CSP_INLINE_STYLE_PATHS = ("/api/docs/",)
OAUTH_STATE_MAX_AGE_SECONDS = env.int("OAUTH_STATE_MAX_AGE_SECONDS", default=900)
# The ledgers' lists (integrations/lists/): synced on connect, every LISTS_SYNC_EVERY_HOURS and on demand; a run
# passes over everything (and so sees what was deleted) at least every LISTS_FULL_SYNC_DAYS, else only changes; a
# run that has not moved for LISTS_STALLED_SECONDS (its worker died) is picked up again.
LISTS_SYNC_EVERY_HOURS = env.int("LISTS_SYNC_EVERY_HOURS", default=48)
LISTS_FULL_SYNC_DAYS = env.int("LISTS_FULL_SYNC_DAYS", default=7)
LISTS_STALLED_SECONDS = env.int("LISTS_STALLED_SECONDS", default=300)
PROVIDER_HTTP_TIMEOUT_SECONDS = env.float("PROVIDER_HTTP_TIMEOUT_SECONDS", default=20.0)

# QuickBooks Web Connector (/qbwc/). A body longer than QBWC_MAX_BODY_BYTES (by its Content-Length) is refused
# unread; one longer than QBWC_UNAUTHENTICATED_MAX_BODY_BYTES is read on only when it is a sendRequestXML or
# receiveResponseXML call whose ticket (its first parameter) is an open session.
QBWC_MAX_BODY_BYTES = env.int("QBWC_MAX_BODY_BYTES", default=8 * 1024 * 1024)
QBWC_UNAUTHENTICATED_MAX_BODY_BYTES = env.int("QBWC_UNAUTHENTICATED_MAX_BODY_BYTES", default=64 * 1024)
# Failed Web Connector sign-ins (authenticate) per client address within the window; past it, "nvu" unchecked.
QBWC_AUTH_FAILURE_LIMIT = env.int("QBWC_AUTH_FAILURE_LIMIT", default=10)
QBWC_AUTH_FAILURE_WINDOW_SECONDS = env.int("QBWC_AUTH_FAILURE_WINDOW_SECONDS", default=900)

# Security headers; the production values make ``manage.py check --deploy`` clean.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# X-Forwarded-Proto is believed only behind trusted proxies (TRUSTED_PROXY_COUNT, above), which set it.
if TRUSTED_PROXY_COUNT > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "dext_connections.logging.RedactSecretsFilter"}},
    "formatters": {"json": {"()": "dext_connections.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
