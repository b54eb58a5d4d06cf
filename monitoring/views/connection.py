"""A connection's page: status, uptime strips, timeline, checks, errors, tokens; "Check now"."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods

from connections import audit
from connections.actors import Actor
from connections.models import ApiToken, Connection
from connections.permissions import staff_required
from connections.tenancy import get_scoped_or_404, scoped
from monitoring import notifications, playbooks, poller, uptime
from monitoring.forms import IssueNoteForm, MuteForm
from monitoring.models import (
    ConnectionEvent,
    ErrorLog,
    HealthCheck,
    Issue,
    Notification,
    PollSchedule,
)

logger = logging.getLogger(__name__)
CHECK_GIVE_UP_AFTER = timedelta(seconds=30)


def scoped_connection(request, connection_id: int) -> Connection:
    return get_scoped_or_404(Connection.objects.with_customer(), request.user, pk=connection_id)


def upcoming_check(connection: Connection) -> playbooks.NextCheck:
    return playbooks.next_check(
        schedule=PollSchedule.objects.filter(connection=connection).first(),
        has_token=ApiToken.objects.active().filter(connection=connection).exists(),
    )


@login_required
def connection_detail(request, connection_id: int):
    connection = scoped_connection(request, connection_id)
    user = request.user
    issue = scoped(Issue.objects.select_related("assignee"), user).current_for(connection)
    checks = list(scoped(HealthCheck, user).filter(connection=connection)[:10])
    errors = list(scoped(ErrorLog, user).filter(connection=connection).newest_first()[:10])
    upcoming = upcoming_check(connection)
    incident = notifications.incident_for(connection.pk)
    context = {
        "connection": connection,
        "strips": [uptime.strip(connection, "hour", 24), uptime.strip(connection, "day", 30)],
        "events": scoped(ConnectionEvent, user).filter(connection=connection)[:15],
        "checks": checks,
        "errors": errors,
        "upcoming": upcoming,
        "playbook": playbooks.playbook_for(
            connection,
            staff=user.is_platform_staff,
            checks=checks,
            latest_error=errors[0] if errors else None,
            upcoming=upcoming,
            incident=incident,
        ),
        "notices": list(
            scoped(Notification.objects.for_listing(), user).filter(connection=connection)[:10]
        ),
        "issue": issue,
        "notes": list(issue.notes.select_related("author")) if issue else [],
        "note_form": IssueNoteForm(),
        "mute_form": MuteForm(),
        "tokens": (
            scoped(ApiToken, user).filter(connection=connection).order_by("-created_at")[:5]
            if user.is_platform_staff
            else []
        ),
    }
    return render(request, "monitoring/connection_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def connection_check(request, connection_id: int):
    """POST queues "Check now"; the answer (and each GET after it) polls until the check lands."""
    connection = scoped_connection(request, connection_id)
    if request.method == "POST":
        return queue_check(request, connection)
    try:
        since = parse_datetime(request.GET.get("since", "")) or timezone.now()
    except ValueError:  # well-formed but impossible, e.g. a 25th hour
        since = timezone.now()
    check = (
        HealthCheck.objects.filter(connection=connection, checked_at__gte=since)
        .order_by("-checked_at")
        .first()
    )
    if check is None:
        until = poller.backoff_until(connection.pk, timezone.now())
        if until is not None:  # rate limited since the click: the queued check calls nobody
            return render_check(request, connection, state="rate_limited", since=since, until=until)
    if check is None and timezone.now() - since > CHECK_GIVE_UP_AFTER:
        return render_check(request, connection, state="late", since=since)
    if check is None:
        return render_check(request, connection, state="pending", since=since)
    connection.refresh_from_db()
    checks = scoped(HealthCheck, request.user).filter(connection=connection)[:10]
    return render_check(
        request, connection, state="done", since=since, check=check, checks=checks,
        upcoming=upcoming_check(connection),
    )  # fmt: skip


def queue_check(request, connection: Connection):
    """Queue a check, unless the upstream asked to wait (then say until when) or a click a few
    seconds ago already queued one (then wait for that one's result)."""
    from monitoring.tasks import poll_connection_now

    asked = poller.request_check(connection.pk)
    if asked.state == "rate_limited":
        if not request.htmx:
            messages.warning(request, rate_limited_message(asked.until))
            return redirect("connection_detail", connection_id=connection.pk)
        return render_check(
            request, connection, state="rate_limited", since=asked.since, until=asked.until
        )
    if asked.state == "queued":
        try:
            poll_connection_now.delay(connection.pk)
        except Exception as error:  # the broker is down: say so rather than spin
            poller.forget_check_request(connection.pk, asked.since)
            logger.exception("Could not queue a check of connection %s", connection.pk)
            failure = f"The check could not be queued ({type(error).__name__}); try again shortly."
            if not request.htmx:
                messages.error(request, failure)
                return redirect("connection_detail", connection_id=connection.pk)
            return render_check(
                request, connection, state="failed", since=asked.since, failure=failure
            )
        audit.record("connection.check_requested", connection, actor=Actor.from_request(request))
    if not request.htmx:
        messages.success(request, "Check queued: the result appears in the latest checks.")
        return redirect("connection_detail", connection_id=connection.pk)
    return render_check(request, connection, state="pending", since=asked.since)


def rate_limited_message(until: datetime) -> str:
    return (
        f"Rate limited until {timezone.localtime(until):%H:%M:%S %Z}: the upstream asked "
        "Patchbay to wait (Retry-After), so it is not called before then."
    )


def render_check(request, connection, *, state: str, since: datetime, **extra):
    return render(
        request,
        "monitoring/_check_now.html",
        {"connection": connection, "state": state, "since": since.isoformat(), **extra},
    )


@staff_required
@require_http_methods(["POST"])
def connection_notice_resend(request, connection_id: int):
    """Support's "Send again": the current notice once more, on every channel."""
    connection = scoped_connection(request, connection_id)
    try:
        sent = notifications.resend(connection)
    except notifications.ResendRefused as refused:
        messages.error(request, str(refused))
    else:
        audit.record(
            "connection.notice_resent",
            connection,
            actor=Actor.from_request(request),
            changes={"recipients": [notice.recipient for notice in sent]},
        )
        recipients = ", ".join(notice.recipient for notice in sent)
        messages.success(request, f"Notice sent again to {recipients}.")
    return redirect(reverse("connection_detail", args=[connection.pk]) + "#notices")
