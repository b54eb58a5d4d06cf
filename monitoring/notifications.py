"""Telling a customer their connection needs them: once per episode, by email and webhook.

An episode opens with the transition into reauth_required (told at once) or into error (told
once it lasts NOTIFY_ERROR_AFTER_MINUTES); the ConnectionEvent that opened it is the key of a
unique constraint, so a poll every minute never sends a second notice. Recovery sends "resolved"
for every episode that was told.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from standardwebhooks import Webhook

from connections.models import Connection
from health.vocabulary import HealthStatus
from monitoring import reconnect_links
from monitoring.models import ConnectionEvent, Incident, Issue, IssueEvent, Notification

logger = logging.getLogger(__name__)

Kind = Notification.Kind
OPENING_KINDS = [Kind.REAUTH_REQUIRED, Kind.LASTING_ERROR]


class DeliveryFailed(Exception):
    """A notice could not be delivered this time; the task retries it with backoff."""


def reconnect_url(connection: Connection) -> str:
    """The page where the customer reconnects (the dashboard's), else the connection page."""
    try:
        path = reverse("connection_reconnect", kwargs={"connection_id": connection.pk})
    except NoReverseMatch:
        path = reverse("connection_detail", kwargs={"connection_id": connection.pk})
    return settings.PATCHBAY_BASE_URL.rstrip("/") + path


def after_transitions(events: list[ConnectionEvent]) -> None:
    """Called inside the transaction that wrote `events`: open or resolve episodes.

    A sweep hands in hundreds of events at once, so each kind is handled in a fixed number of
    queries, not one per event.
    """
    opening = [event for event in events if event.to_status == HealthStatus.REAUTH_REQUIRED]
    if opening:
        connections = Connection.objects.select_related("customer").in_bulk(
            [event.connection_id for event in opening]
        )
        create_notices(
            [(connections[event.connection_id], event) for event in opening], Kind.REAUTH_REQUIRED
        )
    recovered = [event.connection_id for event in events if event.to_status == HealthStatus.HEALTHY]
    if recovered:
        resolve_episodes(recovered)


def channels_for(connection: Connection) -> list[tuple[str, str]]:
    customer = connection.customer
    channels = [(Notification.Channel.EMAIL, customer.contact_email)]
    if customer.notification_webhook_url:
        channels.append((Notification.Channel.WEBHOOK, customer.notification_webhook_url))
    return channels


def create_notices(episodes: list[tuple[Connection, ConnectionEvent]], kind: str) -> None:
    """One notice per channel of each (connection, episode); the unique constraint turns a
    repeat into nothing. Two queries however many episodes."""
    Notification.objects.bulk_create(
        [
            Notification(
                customer_id=connection.customer_id,
                connection=connection,
                episode=episode,
                kind=kind,
                channel=channel,
                recipient=recipient,
            )
            for connection, episode in episodes
            for channel, recipient in channels_for(connection)
        ],
        ignore_conflicts=True,
    )
    pending = list(
        Notification.objects.filter(
            episode_id__any_of=[episode.pk for _, episode in episodes],
            kind=kind,
            delivery=Notification.Delivery.PENDING,
            attempts=0,
        ).values_list("pk", flat=True)
    )
    transaction.on_commit(lambda: enqueue(pending))


def enqueue(notification_ids: list[int]) -> None:
    from monitoring.tasks import deliver_notification

    for pk in notification_ids:
        deliver_notification.delay(pk)


def resolve_episodes(connection_ids: list[int]) -> None:
    """Send "resolved" for each told episode of these connections that has none yet."""
    resolved = Notification.objects.filter(episode=OuterRef("pk"), kind=Kind.RESOLVED)
    told = Notification.objects.filter(
        connection_id__any_of=connection_ids, kind__in=OPENING_KINDS
    ).values("episode_id")
    episodes = (
        ConnectionEvent.objects.filter(pk__in=told)
        .exclude(Exists(resolved))
        .select_related("connection__customer")
    )
    create_notices([(episode.connection, episode) for episode in episodes], Kind.RESOLVED)


def notify_lasting_errors(now: datetime | None = None) -> int:
    """Open an episode for connections in error for longer than NOTIFY_ERROR_AFTER_MINUTES.

    Runs on every beat over every connection in error, told or not, so it asks in a fixed number
    of queries rather than a few per connection.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.NOTIFY_ERROR_AFTER_MINUTES)
    latest_error = (
        ConnectionEvent.objects.filter(connection=OuterRef("pk"), to_status=HealthStatus.ERROR)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    told = Notification.objects.filter(episode=OuterRef("episode_id"), kind=Kind.LASTING_ERROR)
    untold = list(
        Connection.objects.filter(health_status=HealthStatus.ERROR, status_changed_at__lte=cutoff)
        .annotate(episode_id=Subquery(latest_error))
        .exclude(episode_id=None)
        .exclude(Exists(told))
        .select_related("customer")
    )
    episodes = ConnectionEvent.objects.in_bulk([c.episode_id for c in untold])
    with transaction.atomic():
        create_notices([(c, episodes[c.episode_id]) for c in untold], Kind.LASTING_ERROR)
    return len(untold)


class Message(NamedTuple):
    """A notice in words: subject, plain text and (for email that asks for action) HTML."""

    subject: str
    text: str
    html: str = ""


def message_for(notification: Notification, link=None) -> Message:
    """Subject and body, with what happened and how to fix it. A reauthorization notice by email
    carries `link` (a ReconnectLink) as its one call to action, in text and HTML."""
    connection = notification.connection
    url = reconnect_url(connection)
    name = f"{connection.display_name} ({connection.get_system_display()})"
    if notification.kind == Kind.REAUTH_REQUIRED and link is not None:
        context = {
            "connection": connection,
            "since": notification.episode.created_at,
            "link": link,
            "link_url": reconnect_links.url_for(link),
        }
        return Message(
            f"Action needed: reconnect {connection.display_name}",
            render_to_string("monitoring/email/reauth_required.txt", context),
            render_to_string("monitoring/email/reauth_required.html", context),
        )
    if notification.kind == Kind.REAUTH_REQUIRED:
        return Message(
            f"Action needed: reconnect {connection.display_name}",
            f"Your connection {name} needs to be reauthorized: the system no longer accepts "
            "its credentials, so data has stopped flowing.\n\n"
            "To fix it:\n"
            f"1. Open {url}\n"
            "2. Choose Reconnect and sign in to the system with an account that has access.\n"
            "3. Patchbay checks the connection again at once and tells you when it is back.\n",
        )
    if notification.kind == Kind.LASTING_ERROR:
        return Message(
            f"{connection.display_name} has been failing since "
            f"{connection.status_changed_at:%Y-%m-%d %H:%M} UTC",
            f"Your connection {name} has answered with errors for more than "
            f"{settings.NOTIFY_ERROR_AFTER_MINUTES} minutes. Our support team can see it too.\n\n"
            f"Check that the system is up, then open {url} to see the latest errors or "
            "reconnect it.\n",
        )
    return Message(
        f"Resolved: {connection.display_name} is working again",
        f"Your connection {name} is healthy again; nothing more is needed.\n\nDetails: {url}\n",
    )


def webhook_payload(notification: Notification) -> dict:
    connection = notification.connection
    if notification.issue_event_id is not None:
        return issue_event_payload(notification)
    return {
        "type": f"connection.{notification.kind}",
        "timestamp": timezone.now().isoformat(),
        "data": {
            "connection_id": connection.pk,
            "upstream_connection_id": connection.upstream_id,
            "display_name": connection.display_name,
            "health_status": connection.health_status,
            "reconnect_url": reconnect_url(connection),
            "instructions": with_incident_mention(notification, message_for(notification)[1]),
        },
    }


def deliver(notification: Notification) -> None:
    """Send one notice; raises DeliveryFailed (after recording why) for the task to retry."""
    if notification.delivery == Notification.Delivery.SENT:
        return
    notification.attempts += 1
    try:
        if notification.channel == Notification.Channel.EMAIL:
            email_for(notification).send()
        else:
            post_webhook(notification)
    except Exception as exc:
        notification.last_error = f"{type(exc).__name__}: {exc}"[:500]
        notification.save(update_fields=["attempts", "last_error"])
        raise DeliveryFailed(notification.last_error) from exc
    notification.delivery = Notification.Delivery.SENT
    notification.sent_at = timezone.now()
    notification.last_error = ""
    notification.save(update_fields=["attempts", "delivery", "sent_at", "last_error"])


def email_for(notification: Notification) -> EmailMultiAlternatives:
    """The notice as an email: multipart when it has HTML. A reauthorization notice carries a
    fresh reconnect link of its own (the same one on every retry of this notice)."""
    link = None
    if notification.kind == Kind.REAUTH_REQUIRED:
        link = reconnect_links.for_notification(notification)
    message = message_for(notification, link)
    line = incident_line(notification)
    text = f"{message.text}\n{line}\n" if line else message.text
    email = EmailMultiAlternatives(
        message.subject, text, settings.DEFAULT_FROM_EMAIL, [notification.recipient]
    )
    if message.html:
        html = message.html
        if line:
            html = html.replace("</body>", format_html("<p>{}</p></body>", line), 1)
        email.attach_alternative(html, "text/html")
    return email


def post_webhook(notification: Notification) -> None:
    body = json.dumps(webhook_payload(notification))
    now = datetime.now(UTC)
    # The same id on every retry, so the customer's receiver can drop duplicates.
    webhook_id = f"msg_patchbay_notification_{notification.pk}"
    signature = Webhook(settings.NOTIFICATION_WEBHOOK_SECRET).sign(webhook_id, now, body)
    response = httpx.post(
        notification.recipient,
        content=body,
        headers={
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        },
        timeout=10,
    )
    if not response.is_success:
        raise RuntimeError(f"the endpoint answered HTTP {response.status_code}")


def mark_failed(notification_id: int) -> None:
    Notification.objects.filter(pk=notification_id).exclude(
        delivery=Notification.Delivery.SENT
    ).update(delivery=Notification.Delivery.FAILED)


# Issue events and incidents (issue 14): additive to the notices above.


def announce_issue_events(events: list[IssueEvent]) -> None:
    """One webhook notice per announced issue event, to customers that receive webhooks.

    Called inside the transaction that wrote the events; two queries however many events.
    """
    if not events:
        return
    targets = {
        issue_id: (connection_id, customer_id, url)
        for issue_id, connection_id, customer_id, url in Issue.objects.filter(
            pk__in={event.issue_id for event in events}
        )
        .exclude(connection__customer__notification_webhook_url="")
        .values_list(
            "pk",
            "connection_id",
            "connection__customer_id",
            "connection__customer__notification_webhook_url",
        )
    }
    if not targets:
        return
    created = Notification.objects.bulk_create(
        [
            Notification(
                customer_id=targets[event.issue_id][1],
                connection_id=targets[event.issue_id][0],
                issue_event=event,
                kind=Kind.ISSUE_EVENT,
                channel=Notification.Channel.WEBHOOK,
                recipient=targets[event.issue_id][2],
                created_at=event.created_at,
            )
            for event in events
            if event.issue_id in targets
        ]
    )
    pending = [notification.pk for notification in created if notification.pk is not None]
    transaction.on_commit(lambda: enqueue(pending))


def issue_event_payload(notification: Notification) -> dict:
    event = notification.issue_event
    issue = event.issue
    connection = notification.connection
    return {
        "type": f"issue.{event.kind}",
        "timestamp": event.created_at.isoformat(),
        "data": {
            "issue_id": issue.pk,
            "connection_id": connection.pk,
            "upstream_connection_id": connection.upstream_id,
            "display_name": connection.display_name,
            "health_status": connection.health_status,
            "issue_state": issue.state,
            "opened_at": issue.opened_at.isoformat(),
            "muted_until": issue.muted_until.isoformat() if issue.muted_until else None,
            "error_code": issue.error_code,
            "detail": event.detail,
        },
    }


def incident_for(connection_id: int) -> Incident | None:
    """The open incident the connection's current issue belongs to, if any."""
    return (
        Incident.objects.unresolved()
        .filter(issues__connection_id=connection_id, issues__resolved_at__isnull=True)
        .select_related("customer")
        .order_by("-started_at")
        .first()
    )


def incident_mention(incident: Incident) -> str:
    members = incident.issues.exclude(state="resolved").count()
    return (
        f"This is part of a wider incident: {members} connections of {incident.subject} are "
        f"failing with {incident.cause} since {incident.started_at:%Y-%m-%d %H:%M} UTC. "
        "Our support team is already working on it; you do not need to report it."
    )


def incident_line(notification: Notification) -> str:
    """What a notice sent while its connection is part of an incident says of it ("" when it is
    not, or for "resolved"), remembering the incident on the notice."""
    if notification.kind == Kind.RESOLVED:
        return ""
    incident = incident_for(notification.connection_id)
    if incident is None:
        return ""
    if notification.pk and notification.sent_during_id != incident.pk:
        notification.sent_during = incident
        Notification.objects.filter(pk=notification.pk).update(sent_during=incident)
    return incident_mention(incident)


def with_incident_mention(notification: Notification, body: str) -> str:
    """A notice's text, with the incident its connection is part of said at the end."""
    line = incident_line(notification)
    return f"{body}\n{line}\n" if line else body


class ResendRefused(Exception):
    """Support's Resend cannot go now; the message says why."""


RESEND_PAUSE = timedelta(minutes=2)


def resend(connection: Connection, *, now: datetime | None = None) -> list[Notification]:
    """Send the connection's current notice again on every channel, beside the first one.

    Only while it still needs the customer (reauthorization, a lasting error), at most once
    every two minutes so a double click does not mail the customer twice.
    """
    now = now or timezone.now()
    kind = {
        HealthStatus.REAUTH_REQUIRED: Kind.REAUTH_REQUIRED,
        HealthStatus.ERROR: Kind.LASTING_ERROR,
    }.get(connection.health_status)
    if kind is None:
        raise ResendRefused("This connection needs nothing from the customer right now.")
    episode = (
        ConnectionEvent.objects.filter(connection=connection, to_status=connection.health_status)
        .order_by("-created_at", "-pk")
        .first()
    )
    if episode is None:
        raise ResendRefused("No status change to tell the customer about yet.")
    recent = Notification.objects.filter(
        connection=connection, is_resend=True, created_at__gte=now - RESEND_PAUSE
    )
    if recent.exists():
        raise ResendRefused("A notice was sent again less than two minutes ago.")
    with transaction.atomic():
        created = Notification.objects.bulk_create(
            Notification(
                customer_id=connection.customer_id,
                connection=connection,
                episode=episode,
                kind=kind,
                channel=channel,
                recipient=recipient,
                is_resend=True,
                created_at=now,
            )
            for channel, recipient in channels_for(connection)
        )
        ids = [notification.pk for notification in created]
        transaction.on_commit(lambda: enqueue(ids))
    return created
