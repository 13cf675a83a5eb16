"""The HTTP API: Django REST framework, its OpenAPI schema and cross-origin access."""

from corsheaders.defaults import default_headers as cors_default_headers

from .auth import TRUSTED_PROXY_COUNT
from .environment import env

# --- Django REST framework ------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only (415 otherwise); views that take files add the multipart parser.
    "DEFAULT_PARSER_CLASSES": ["config.parsers.StrictJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="100/minute"),
        "user": env("API_THROTTLE_USER", default="2000/minute"),
        # POST /videos/{id}/reprocess/ per user: each one is a full transcode.
        "video_reprocess": env("VIDEO_REPROCESS_RATE", default="10/hour"),
    },
    # Throttles take the client address from X-Forwarded-For only through trusted proxies.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Reelhouse API",
    "DESCRIPTION": "Video processing, background jobs and live commerce.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would otherwise show a badge image from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status` field; give each status enum its own schema name.
    "ENUM_NAME_OVERRIDES": {"JobStatusEnum": "jobs.models.JobStatus"},
}

# --- Cross-origin frontends (django-cors-headers) -----------------------------------
# Browsers on these origins may call /api/ with a token (no cookies cross-origin). Empty:
# same-origin only.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
# tus resumable uploads (tus-js-client and friends) send and read these headers.
CORS_ALLOW_HEADERS = (
    *cors_default_headers,
    *("tus-resumable", "upload-length", "upload-metadata", "upload-offset"),
    "x-http-method-override",
)
CORS_EXPOSE_HEADERS = [
    *("Location", "Upload-Offset", "Upload-Length", "Upload-Expires", "Upload-Metadata"),
    *("Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size"),
    *("Upload-Status", "Upload-Video-Id", "Upload-Job-Id"),
]
CORS_PREFLIGHT_MAX_AGE = 3600
