"""Names of the live events pushed to open inboxes (hub topic INBOX_TOPIC)."""

INBOX_TOPIC = "inbox"

HANDOFF_NEW = "handoff_new"
HANDOFF_UPDATED = "handoff_updated"
MESSAGE = "message"
CRISIS_ALERT = "crisis_alert"
DELIVERY_FAILED = "delivery_failed"
