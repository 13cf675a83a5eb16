"""Creating webhook endpoints through the API (shared by the webhook tests)."""

ENDPOINTS_URL = "/api/v1/webhook-endpoints/"


def post_endpoint(client, url: str, event_types: list[str], **fields):
    """POST a webhook endpoint for `url` that hears `event_types`; return the response."""
    return client.post(
        ENDPOINTS_URL, {"url": url, "event_types": event_types, **fields}, format="json"
    )
