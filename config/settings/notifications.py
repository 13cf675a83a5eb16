"""Notifications: email, SMS, operators' alerts, render callbacks and outbound webhooks."""

from email.utils import parseaddr

from .api import SPECTACULAR_SETTINGS
from .environment import TESTING, VAR_DIR, env

# --- Email and SMS --------------------------------------------------------------------
# Tests use the file backend so mail sent by a worker process is visible to the test.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.filebased.EmailBackend"
    if TESTING
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 15
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Reelhouse <noreply@localhost>")

# --- Notifications --------------------------------------------------------------------
# Operators told by email when a system job (one no user started) fails for good:
# comma-separated "Name <address>" or plain addresses.
ADMINS = [pair for pair in map(parseaddr, env.list("ADMINS", default=[])) if pair[1]]
# Email every new account that has an address a welcome (templates/emails/accounts/).
WELCOME_EMAIL = env.bool("WELCOME_EMAIL", default=True)
SMS_BACKEND = env("SMS_BACKEND", default="notifications.sms.ConsoleSmsBackend")
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", default="")
# Mitake (SMS_BACKEND=notifications.sms.MitakeSmsBackend): its SmSend URL and account.
MITAKE_API_URL = env(
    "MITAKE_API_URL", default="https://smsapi.mitake.com.tw/api/mtk/SmSend?CharsetURL=UTF-8"
)
MITAKE_USERNAME = env("MITAKE_USERNAME", default="")
MITAKE_PASSWORD = env("MITAKE_PASSWORD", default="")
RENDER_WEBHOOK_SECRET = env("RENDER_WEBHOOK_SECRET", default="")
RENDER_RETRY_BACKOFF_SECONDS = env.int("RENDER_RETRY_BACKOFF_SECONDS", default=60)
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
# Outbound webhook URLs use port 80 or 443, plus the ports listed here (e.g. 8443).
WEBHOOK_ALLOWED_PORTS = env.list("WEBHOOK_ALLOWED_PORTS", cast=int, default=[])
# One outbound webhook attempt (connect, send, the answer) gets at most this many seconds.
WEBHOOK_ATTEMPT_DEADLINE_SECONDS = env.float("WEBHOOK_ATTEMPT_DEADLINE_SECONDS", default=30)
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=30)
# Seconds to wait before each webhook attempt (8 attempts over about 28 hours).
WEBHOOK_RETRY_SCHEDULE_SECONDS = env.list(
    "WEBHOOK_RETRY_SCHEDULE_SECONDS",
    cast=int,
    default=[0, 5, 300, 1800, 7200, 18000, 36000, 36000],
)
# An endpoint whose deliveries fail for good this many times in a row is disabled (0 = never).
WEBHOOK_DISABLE_AFTER_FAILED_DELIVERIES = env.int(
    "WEBHOOK_DISABLE_AFTER_FAILED_DELIVERIES", default=5
)
# Render reports and render records share one status enum in the OpenAPI schema.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["RenderStatusEnum"] = (
    "notifications.models.RenderStatus"
)
