"""Every write of the notifications app goes through these functions."""

from notifications.services.alerts import job_failure_alert_admins
from notifications.services.endpoints import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from notifications.services.events import (
    job_failure_announce,
    order_paid_announce,
    video_event_announce,
)
from notifications.services.messages import (
    notification_deliver,
    notification_fail_for_job,
    notification_resend,
    notification_send,
)
from notifications.services.renders import (
    InvalidRenderReport,
    received_webhooks_prune,
    render_complete,
    render_completion_enqueue,
    render_fail,
    render_fail_for_job,
    render_reports_accept,
    render_status_update,
)
from notifications.services.webhooks import (
    retry_delay,
    webhook_attempt_claim,
    webhook_attempt_record,
    webhook_attempt_run,
    webhook_deliveries_dispatch_due,
    webhook_deliveries_prune,
    webhook_delivery_dispatch,
    webhook_delivery_fail_for_job,
    webhook_delivery_redeliver,
    webhook_event_emit,
)
from notifications.services.welcome import send_welcome_email

__all__ = [
    "InvalidRenderReport",
    "job_failure_alert_admins",
    "job_failure_announce",
    "notification_deliver",
    "notification_fail_for_job",
    "notification_resend",
    "notification_send",
    "order_paid_announce",
    "received_webhooks_prune",
    "render_complete",
    "render_completion_enqueue",
    "render_fail",
    "render_fail_for_job",
    "render_reports_accept",
    "render_status_update",
    "retry_delay",
    "send_welcome_email",
    "video_event_announce",
    "webhook_attempt_claim",
    "webhook_attempt_record",
    "webhook_attempt_run",
    "webhook_deliveries_dispatch_due",
    "webhook_deliveries_prune",
    "webhook_delivery_dispatch",
    "webhook_delivery_fail_for_job",
    "webhook_delivery_redeliver",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_rotate_secret",
    "webhook_endpoint_update",
    "webhook_event_emit",
]
