"""Monitoring's models, one module per concept; imported here so Django and callers find them."""

from monitoring.models.errors import ErrorLog
from monitoring.models.history import ConnectionEvent, HealthCheck, HealthCheckRow, Source
from monitoring.models.issues import Incident, Issue, IssueEvent, IssueNote, IssueState
from monitoring.models.notifications import Notification
from monitoring.models.polling import PollSchedule, Sweep, SweepBatch, SweepLock
from monitoring.models.reconnect_links import LinkStatus, ReconnectLink
from monitoring.models.rollups import (
    CustomerDailyRollup,
    DailyRollup,
    HourlyRollup,
    SystemDailyRollup,
)
from monitoring.models.webhooks import WebhookEvent

__all__ = [
    "ConnectionEvent",
    "CustomerDailyRollup",
    "DailyRollup",
    "ErrorLog",
    "HealthCheck",
    "HealthCheckRow",
    "Incident",
    "HourlyRollup",
    "Issue",
    "IssueEvent",
    "IssueNote",
    "IssueState",
    "LinkStatus",
    "Notification",
    "PollSchedule",
    "ReconnectLink",
    "Source",
    "Sweep",
    "SweepBatch",
    "SweepLock",
    "SystemDailyRollup",
    "WebhookEvent",
]
