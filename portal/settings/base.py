"""Settings shared by every environment; everything configurable comes from the environment."""

import datetime
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The public address of the portal, used in links that leave the site (feeds, e-mails, webhooks).
SITE_URL = env("ROTA_SITE_URL", default="http://localhost:8000").rstrip("/")

# The GitHub organisation named in exported CODEOWNERS owners (@<org>/<team>).
ROTA_CODEOWNERS_ORG = env("ROTA_CODEOWNERS_ORG", default="org")

# The shared bottom layer (core) imports no app: the functions it asks for an app's answers
# are named here (see core.providers).
ROTA_MANAGED_TEAM_IDS = "ownership.selectors.managed_team_ids"
ROTA_VIEWER_ZONE_NAME = "notifications.selectors.viewer.viewer_zone_name"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    "portal",
    "portal.oidc",
    "ownership",
    "rota",
    "incidents",
    "notifications",
    "reports",
    "importers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.input_guards.RefuseUnstorableInput",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.ApiDatabaseUnavailableMiddleware",
    # Refuses an API client over its rate limit before its credentials are checked.
    "core.throttling.ApiThrottleMiddleware",
    # Last, as django-axes requires: it answers a locked-out sign-in with its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
# A kept connection may have died with a database restart: test it (one cheap query) at the
# first use in each request, and reconnect, instead of failing that request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DJANGO_CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and the scheduler share one SQLite file: wait for locks
    # instead of failing, and let readers proceed while one process writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://rota"),
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions are read from the cache (and written through to the database), so a signed-in
# request needs no session query; set CACHE_URL to a shared cache with several processes.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Content-Security-Policy (django-csp) ---------------------------------------------------
# Every page (portal, admin, API docs) loads scripts, styles, images and fonts from this site
# only; no inline script runs. A template that needs an inline <script> or <style> gives it
# nonce="{{ request.csp_nonce }}". Style attributes stay allowed (style-src-attr): the rota
# timeline places its blocks with computed left/width, and the admin sets display on elements.
# Swagger UI and the favicon use data: images.
_oidc_issuer = urlsplit(env("ROTA_OIDC_ISSUER", default=""))
_oidc_origin = [f"{_oidc_issuer.scheme}://{_oidc_issuer.netloc}"] if _oidc_issuer.netloc else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        # and the identity provider's: Sign out (a form) goes on to end its session there.
        "form-action": [SELF, *_oidc_origin],
        "frame-ancestors": [NONE],
    },
}

# --- Login limits (django-axes) ---------------------------------------------------------------
# Failed sign-ins on /accounts/login/ and /admin/login/ are counted per username and client
# address together: after ROTA_LOGIN_FAILURE_LIMIT failures that pair is refused (429, the
# lockout page) until ROTA_LOGIN_COOLOFF_MINUTES pass without another failure. Other usernames
# from the same address, and the same username from elsewhere, are unaffected, so nobody can
# lock a colleague out from another machine. ROTA_LOGIN_LOCKOUT_PARAMETERS chooses another rule
# (axes' AXES_LOCKOUT_PARAMETERS: "username+ip_address", or e.g. "username,ip_address" to count
# each on its own).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Sign-in with the organisation's identity provider; inert unless ROTA_OIDC_CLIENT_ID is set.
    "portal.oidc.backend.OIDCBackend",
]
AXES_ENABLED = env.bool("ROTA_LOGIN_LIMITS", default=True)
AXES_FAILURE_LIMIT = env.int("ROTA_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("ROTA_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [
    rule.split("+") if "+" in rule else rule
    for rule in env.list("ROTA_LOGIN_LOCKOUT_PARAMETERS", default=["username+ip_address"])
]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "portal.login_limits.client_ip"
# How many proxies in front of the web server append to X-Forwarded-For (0: none, the client
# connects directly); the client address is read behind exactly that many.
ROTA_TRUSTED_PROXY_COUNT = env.int("ROTA_TRUSTED_PROXY_COUNT", default=0)
# The cache the API rate limits count in (core.throttling); named here so that reading it
# costs a dictionary lookup, not a missing setting's exception, on every API request.
ROTA_API_THROTTLE_CACHE = "default"
# Successful sign-ins are not logged to the database (the web server's access log has them).
AXES_DISABLE_ACCESS_LOG = True
# No password is typed at the identity provider's callback: axes leaves it alone.
AXES_WHITELIST_CALLABLE = "portal.oidc.axes.exempt"

# --- Sign-in with the organisation's identity provider (OpenID Connect) ---------------------
# Off unless ROTA_OIDC_CLIENT_ID is set. Give the issuer (its endpoints are discovered from
# <issuer>/.well-known/openid-configuration) or every endpoint; the client secret only ever
# comes from the environment. ROTA_OIDC_GROUPS maps the provider's groups to team roles and
# rota admin (JSON; see portal.oidc.config.group_mapping and the README).
ROTA_OIDC = {
    "PROVIDER_NAME": env("ROTA_OIDC_PROVIDER_NAME", default=""),
    "ISSUER": env("ROTA_OIDC_ISSUER", default="").rstrip("/"),
    "CLIENT_ID": env("ROTA_OIDC_CLIENT_ID", default=""),
    "CLIENT_SECRET": env("ROTA_OIDC_CLIENT_SECRET", default=""),
    "AUTHORIZATION_ENDPOINT": env("ROTA_OIDC_AUTHORIZATION_ENDPOINT", default=""),
    "TOKEN_ENDPOINT": env("ROTA_OIDC_TOKEN_ENDPOINT", default=""),
    "USERINFO_ENDPOINT": env("ROTA_OIDC_USERINFO_ENDPOINT", default=""),
    "JWKS_ENDPOINT": env("ROTA_OIDC_JWKS_ENDPOINT", default=""),
    "SCOPES": env("ROTA_OIDC_SCOPES", default="openid email profile"),
    "SIGN_ALGO": env("ROTA_OIDC_SIGN_ALGO", default="RS256"),
    "GROUPS_CLAIM": env("ROTA_OIDC_GROUPS_CLAIM", default="groups"),
    "GROUPS": env("ROTA_OIDC_GROUPS", default=""),
    "MANAGERS_GROUP": env("ROTA_OIDC_MANAGERS_GROUP", default="Managers"),
}
# mozilla-django-oidc: PKCE on, the client authenticates with HTTP Basic (client_secret_basic,
# every provider's default) or in the form (ROTA_OIDC_TOKEN_AUTH=post), calls time out.
OIDC_USE_PKCE = True
OIDC_TOKEN_USE_BASIC_AUTH = env("ROTA_OIDC_TOKEN_AUTH", default="basic") != "post"
OIDC_TIMEOUT = 10
# Signing out also ends the provider's session when it offers that (portal.oidc.logout).
OIDC_STORE_ID_TOKEN = True
OIDC_OP_LOGOUT_URL_METHOD = "portal.oidc.logout.provider_logout_url"
OIDC_REDIRECT_FIELD_NAME = "next"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}


def email_config(url: str) -> dict:
    """Return Django's e-mail settings for an EMAIL_URL (django-environ's schemes).

    For filemail, ``filemail:///abs/path`` writes under /abs/path and ``filemail://rel/path``
    under the checkout; django-environ alone drops the leading slash and so makes both
    relative to whatever directory the process was started in.
    """
    config = environ.Env.email_url_config(url)
    if config["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend":
        parts = urlsplit(url)
        path = Path(parts.netloc + parts.path)
        config["EMAIL_FILE_PATH"] = str(path if path.is_absolute() else BASE_DIR / path)
    return config


EMAIL_CONFIG = email_config(env("EMAIL_URL", default="consolemail://"))
vars().update(EMAIL_CONFIG)
# Seconds an SMTP server may take per network operation (Django's default waits for ever):
# one that stops answering must not hold a worker past the sending timeouts.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Rota <rota@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Calendar feeds: how far back they reach and how often apps should refresh them. The feed
# URLs' secret half is an HMAC under ROTA_FEED_SECRET (default: DJANGO_SECRET_KEY).
ROTA_FEED_PAST_DAYS = env.int("ROTA_FEED_PAST_DAYS", default=90)
ROTA_FEED_REFRESH_MINUTES = env.int("ROTA_FEED_REFRESH_MINUTES", default=60)
ROTA_FEED_SECRET = env("ROTA_FEED_SECRET", default="")
ROTA_FEED_SECRET_FALLBACKS = env.list("ROTA_FEED_SECRET_FALLBACKS", default=[])

# Hosts that user-supplied URLs (calendar imports, chat webhooks) may reach even though they
# resolve to private addresses; everything else must be public.
ROTA_OUTBOUND_ALLOWED_HOSTS = env.list("ROTA_OUTBOUND_ALLOWED_HOSTS", default=[])
# The hot path (portal.hotpath) answers token lookups of who is on call and who owns a path
# before Django's middleware. A revoked token, a deactivated user or a rota or catalog edit
# made by another process is seen within this many seconds (one query per interval).
ROTA_HOT_PATH = env.bool("ROTA_HOT_PATH", default=True)
ROTA_HOT_PATH_CHECK_SECONDS = env.float("ROTA_HOT_PATH_CHECK_SECONDS", default=1.0)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that an unauthenticated call gets 401 with WWW-Authenticate.
        "portal.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "core.input_guards.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "portal.schema.RotaAutoSchema",
    # One counter per client and window, counted before authentication where the headers
    # tell who is calling (core.throttling; README: Rate limits). "user" is per token (or
    # signed-in user): 1200/minute lets a tool poll every second from 20 workers at once.
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/minute"),
        "user": env("API_THROTTLE_USER", default="1200/minute"),
    },
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Knox's token model is swappable; Rota keeps knox's own and names it for the foreign key of
# the tokens' names (portal.models.ApiTokenInfo).
KNOX_TOKEN_MODEL = "knox.AuthToken"  # noqa: S105 - a model name, not a secret
REST_KNOX = {
    # Tokens are for automation: they live until revoked, not for a fixed number of hours.
    "TOKEN_TTL": None,
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Rota API",
    "DESCRIPTION": "Who owns what, who is on call, and the rota behind it.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Group operations in /api/docs/ by resource: the tag is the first path segment after
    # /api/v1/ (shifts, incidents, reports, ...), decided here once for every view.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Component tiers appear on components and in the routing settings: one enum for both.
    "ENUM_NAME_OVERRIDES": {"TierEnum": "ownership.models.Component.Tier"},
    # A choice that may be "" or null is documented as oneOf the enum, BlankEnum and NullEnum
    # (drf-spectacular's default, named here because generated clients rely on it).
    "ENUM_ADD_EXPLICIT_BLANK_NULL_CHOICE": True,
    # Every operation documents its error answers, in the API's one error shape.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.schema.document_error_responses",
    ],
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Redis hands an unacknowledged message (a worker died mid-task) to another worker only after
# this many seconds; keep it short, tasks are idempotent and never scheduled further ahead.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 15 * 60}
# Three queues, each with workers of its own in production (Procfile, docker-compose.yml):
# "pages" (escalation pages and the escalation scan), "scans" (the periodic notification
# scans) and Celery's default "celery" (reminders, handoffs and every other send, rota
# generation). A slow chat webhook or a backlog of reminders then never delays a page or a
# scan. INCIDENTS_PAGE_QUEUE and NOTIFICATIONS_TASK_QUEUE override the routes when set.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "incidents.*": {"queue": "pages"},
    "notifications.scan": {"queue": "scans"},
    "notifications.warn_rota_problems": {"queue": "scans"},
    "notifications.check_capacity": {"queue": "scans"},
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {
        "mask_url_secrets": {"()": "portal.logging.MaskUrlSecrets"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_url_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler would print every message a second time.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # django-axes narrates every sign-in at INFO; its warnings (failures, lockouts) remain.
        "axes": {"level": "WARNING"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
