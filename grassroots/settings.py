"""Settings of the grassroots data-collection platform, driven by environment variables.

Every value a deployment may change is read here through a small typed helper that fails loudly on a bad value.
See .env.example for the list and docs/deployment.md for production use.
"""

import hashlib
import hmac
import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _load_env_file(path: Path) -> None:
    """Read KEY=VALUE lines from a local .env file without overriding the real environment."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            os.environ.setdefault(key.strip(), value.strip().strip("'\""))


_load_env_file(BASE_DIR / ".env")


def env_str(name: str, default: str | None = None) -> str:
    """The variable's value; an empty value counts as unset (so `DATABASE_URL= make test` means the default)."""
    value = os.environ.get(name) or default
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} is required")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)
PRODUCTION = env_bool("PRODUCTION", False)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105 (refused when PRODUCTION=true)
# In production SECRET_KEY has no default: env_str raises ImproperlyConfigured when it is missing or empty.
SECRET_KEY = env_str("SECRET_KEY", None if PRODUCTION else _DEV_SECRET)
if PRODUCTION and (SECRET_KEY == _DEV_SECRET or DEBUG):
    raise ImproperlyConfigured("PRODUCTION=true needs its own SECRET_KEY and DEBUG=false")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "regions",
    "catalog",
    "collection",
    "basedb",
    "sharing",
    "matching",
    "reports",
    "gridwork",
    "grassroots",  # project-wide pieces: the worker command, the replica router's write marks
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "grassroots.nostore.NoStoreMiddleware",  # personal data is never stored by a browser or a proxy
    "grassroots.csp.ContentSecurityPolicyMiddleware",  # scripts and styles from the static files only
    "grassroots.middleware.InvalidTextMiddleware",  # NUL bytes and the like: 400 before the session or a view
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "grassroots.urls"
WSGI_APPLICATION = "grassroots.wsgi.application"
ASGI_APPLICATION = "grassroots.asgi.application"

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
                "regions.context_processors.user_regions",
            ],
        },
    },
]

# Database: an embedded SQLite file by default, PostgreSQL (psycopg 3) in production and CI.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the background worker writes; a busy timeout instead of "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Parallel test runs against one PostgreSQL server need distinct test database names (default: test_<NAME>).
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
# Reads on a PostgreSQL streaming replica (grassroots/replica.py, docs/scaling.md): views that opt in with
# @replica_reads read base data there, with read-your-writes and a lag bound. Unset: everything on the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL") or ""
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 5)
# Only these apps/models are ever read from the replica; users, roles, tokens, API clients, counters and logs are
# always read from the primary, so a revoked right or token takes effect at once.
REPLICA_READ_MODELS = ["basedb", "catalog", "collection", "regions.region"]
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a PostgreSQL streaming replica (postgres://...)")
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # tests read the test database through the alias
    DATABASE_ROUTERS = ["grassroots.replica.ReplicaRouter"]
    MIDDLEWARE.append("grassroots.replica.ReadYourWritesMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out username+IP never reaches the password check (see regions/auth.py).
    "regions.auth.AxesRequestBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "regions.views.lockout"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"

# Uploads: limits checked before any parsing (see collection/pipeline/guard.py).
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_MB", 100) * 1024 * 1024
UPLOAD_MAX_UNCOMPRESSED_BYTES = env_int("UPLOAD_MAX_UNCOMPRESSED_MB", 1024) * 1024 * 1024
UPLOAD_MAX_COMPRESSION_RATIO = env_int("UPLOAD_MAX_COMPRESSION_RATIO", 200)
# Big tables are read in a forked child process while this one verifies (collection/pipeline/parallel.py).
INTAKE_PARALLEL_READ = env_bool("INTAKE_PARALLEL_READ", True)
# Rows verified and stored per transaction, and rows merged per transaction (the merge's checkpoint: a merge taken
# over after its worker died resumes after the last committed chunk). Smaller chunks hold less memory and lose less
# of a merge to a kill; larger ones are a little faster.
INTAKE_CHUNK_ROWS = env_int("INTAKE_CHUNK_ROWS", 50_000)
MERGE_CHUNK_ROWS = env_int("MERGE_CHUNK_ROWS", 25_000)
UPLOAD_INLINE_MAX_BYTES = env_int("UPLOAD_INLINE_MAX_KB", 512) * 1024
# A batch being verified or merged is leased to one process and renewed every sixth of this; once it has expired
# (the process died) a worker takes the batch over (collection/leases.py).
BATCH_LEASE_SECONDS = env_int("BATCH_LEASE_SECONDS", 60)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Background jobs (django-tasks): the database backend and `db_worker` by default (embedded, nothing else to run);
# RQ on Redis (`rqworker`, any number of machines) with TASKS_BACKEND=django_tasks_rq.RQBackend. `manage.py worker`
# starts the right worker for the backend. See docs/scaling.md.
TASKS_DB_BACKEND = "django_tasks_db.DatabaseBackend"
TASKS_RQ_BACKEND = "django_tasks_rq.RQBackend"
TASKS_BACKEND = env_str("TASKS_BACKEND", TASKS_DB_BACKEND)
TASKS = {"default": {"BACKEND": TASKS_BACKEND, "QUEUES": ["default"]}}
if TASKS_BACKEND == TASKS_RQ_BACKEND:
    INSTALLED_APPS.append("django_rq")
    # The platform's queue "default" is this Redis queue: installations (or test runs) sharing a Redis stay apart.
    TASKS_RQ_QUEUE = env_str("TASKS_RQ_QUEUE", "grassroots")
    RQ_QUEUES = {
        TASKS_RQ_QUEUE: {
            "URL": env_str("TASKS_RQ_URL", env_str("REDIS_URL", "redis://127.0.0.1:6379/0")),
            # RQ kills a job after 180 s by default; verifying or merging a million rows takes longer.
            "DEFAULT_TIMEOUT": env_int("TASKS_RQ_JOB_TIMEOUT", 6 * 3600),
        }
    }
    TASKS["default"] |= {
        "BACKEND": "grassroots.tasks_rq.RQBackend",
        "OPTIONS": {"REDIS_QUEUES": {"default": TASKS_RQ_QUEUE}},
    }

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "regions.auth.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "grassroots.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "基层数据归集平台 API",
    "DESCRIPTION": (
        "烟台市基层数据归集平台接口：数据目录查询、数据上报与核验、基础库查询，以及面向委办局的数据共享。"
        "个人令牌由管理员以 `manage.py create_user_token` 签发，调用时在请求头中加入 `Authorization: Token <令牌>`。"
        "\n\nGrassroots data-collection platform API: catalog, intake, base database and sharing."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Government intranets have no internet: Swagger UI is served from the platform's own static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call-outs: Swagger UI's default validator badge would fetch from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "persistAuthorization": True},
}

# Sharing API lookups by key (sharing/lookups.py, docs/api.md): a daily quota of keys per client, and what counts
# as enumeration (refused and flagged): a request of at least SHARING_ENUM_MIN_KEYS keys of which more than
# SHARING_ENUM_MISS_PERCENT % miss (also over the client's day), or SHARING_ENUM_PATTERN_KEYS keys sharing one
# masked pattern (first six and last four characters, as in 370602********1234).
SHARING_DAILY_KEY_QUOTA = env_int("SHARING_DAILY_KEY_QUOTA", 50_000)
SHARING_ENUM_MIN_KEYS = env_int("SHARING_ENUM_MIN_KEYS", 500)
SHARING_ENUM_MISS_PERCENT = env_int("SHARING_ENUM_MISS_PERCENT", 95)
SHARING_ENUM_PATTERN_KEYS = env_int("SHARING_ENUM_PATTERN_KEYS", 20)
# The key of the access log's keyed hashes of ID numbers (HMAC-SHA256). Derived from SECRET_KEY when unset; set it
# explicitly so that rotating SECRET_KEY does not make the old log unsearchable by person.
ACCESS_LOG_HMAC_KEY = (
    env_str("ACCESS_LOG_HMAC_KEY", "")
    or hmac.new(SECRET_KEY.encode(), b"grassroots access log key hash", hashlib.sha256).hexdigest()
)

# Production hardening; `manage.py check --deploy` is clean with PRODUCTION=true.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a public, hard-to-undo commitment of an internet domain; intranet hosts cannot use it.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# A queryset of a region-owned model read without .restrict(user, action) or .unrestricted("reason")
# (regions/scoping.py): "raise" (the default under DEBUG and in the test suite) or "log" an error.
REGION_SCOPE_ENFORCEMENT = env_str("REGION_SCOPE_ENFORCEMENT", "raise" if DEBUG else "log")
if REGION_SCOPE_ENFORCEMENT not in {"raise", "log"}:
    raise ImproperlyConfigured(f"REGION_SCOPE_ENFORCEMENT must be raise or log, got {REGION_SCOPE_ENFORCEMENT!r}")

# Webhooks (sharing/outbound.py): host names or dotted suffixes a webhook may call (empty: any public host), and
# the private networks an administrator trusts (e.g. the departments' intranet; empty: only public addresses).
SHARING_WEBHOOK_ALLOWED_HOSTS = [h.lower() for h in env_list("SHARING_WEBHOOK_ALLOWED_HOSTS", [])] or None
SHARING_WEBHOOK_ALLOWED_NETWORKS = env_list("SHARING_WEBHOOK_ALLOWED_NETWORKS", [])
for _network in SHARING_WEBHOOK_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"SHARING_WEBHOOK_ALLOWED_NETWORKS: {_network!r} is not a network (CIDR)") from exc

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "grassroots.logging.JsonFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
