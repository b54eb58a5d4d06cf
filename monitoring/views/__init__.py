"""The monitoring pages, one module per page family; the upstream's webhook endpoint is here too."""

from monitoring.views.webhook import unified_webhook

__all__ = ["unified_webhook"]
