"""The Content-Security-Policy and the production-mode (DEBUG=0) security settings."""

from urllib.parse import urlsplit

from . import storage  # the S3 endpoint, set only with a bucket
from .environment import DEBUG, env

# --- Content-Security-Policy (django-csp) on every response --------------------------
# Scripts only from our own static files (the admin, dashboard, Swagger UI and ReDoc have
# no inline script). Inline styles are allowed: the admin and ReDoc set them. Media may
# also come from the S3 endpoint, whose presigned URLs the pages show and upload to.
_MEDIA_ORIGINS = []
if storage.AWS_STORAGE_BUCKET_NAME:
    _endpoint = urlsplit(storage.AWS_S3_ENDPOINT_URL or "https://s3.amazonaws.com")
    _MEDIA_ORIGINS = [f"{_endpoint.scheme}://{_endpoint.netloc}"]
    if not storage.AWS_S3_ENDPOINT_URL:
        _MEDIA_ORIGINS.append("https://*.amazonaws.com")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *_MEDIA_ORIGINS],
        "media-src": ["'self'", "blob:", *_MEDIA_ORIGINS],
        "connect-src": ["'self'", *_MEDIA_ORIGINS],
        "font-src": ["'self'", "data:"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}

# --- Security (production mode: DEBUG=0) ----------------------------------------------
# Trust X-Forwarded-Proto only behind a proxy that sets it (anyone else could send it).
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is hard to undo (browsers ship the list), so it is the operator's choice.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "SAMEORIGIN"  # the admin's video player embeds media from this site
SILENCED_SYSTEM_CHECKS = [
    "security.W019",  # W019 asks for DENY; SAMEORIGIN is deliberate
    "security.W021",  # W021 asks for HSTS preload, which is opt-in (SECURE_HSTS_PRELOAD)
]
