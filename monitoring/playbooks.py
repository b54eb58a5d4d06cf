"""What a connection's page says first: what is wrong in words, since when, what it means and
what to do, per outcome and error code, for support and (in their own words) for the customer;
and when the connection is checked next, or why it is not.

Pure functions over what the page already loaded (the connection, its latest checks and errors,
its schedule, notices, issue and incident), so every case is a table test.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from health.vocabulary import HealthStatus, Outcome

EXCERPT_CHARS = 400
PERMISSION_KEYS = ("permission", "required_permission", "missing_permission", "scope")
QUOTED = re.compile(r"""permission[s]?\s+(?:named\s+)?['"`‘“]([^'"`’”]{1,80})['"`’”]""", re.I)


@dataclass(frozen=True)
class NextCheck:
    """When the connection is checked next, or why it cannot be."""

    at: datetime | None
    why_not: str = ""
    rate_limited_until: datetime | None = None


def next_check(
    *, schedule, has_token: bool, now: datetime | None = None, interval: int | None = None
) -> NextCheck:
    now = now or timezone.now()
    interval = interval or settings.POLL_INTERVAL_SECONDS
    if not has_token:
        return NextCheck(
            None, "No check can succeed: this connection has no active API token to call with."
        )
    if schedule is not None and schedule.backoff_until and schedule.backoff_until > now:
        return NextCheck(schedule.backoff_until, rate_limited_until=schedule.backoff_until)
    if schedule is not None and schedule.due_at > now:
        return NextCheck(schedule.due_at)
    return NextCheck(now + timedelta(seconds=interval))


@dataclass
class Playbook:
    """The panel at the top of a connection's page."""

    tone: str  # a HealthStatus (the panel's colour) or "rate_limited"
    headline: str
    since: datetime | None
    meaning: str
    steps: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    excerpt: str = ""
    permission: str = ""
    show_notices: bool = False
    can_resend: bool = False
    can_reconnect: bool = False
    incident: object = None


def permission_named(error) -> str:
    """The permission the upstream named in a PERMISSION_DENIED answer, if it named one."""
    if error is None:
        return ""
    try:
        body = json.loads(error.raw_body or "{}")
    except ValueError:
        body = {}
    found = body.get("error") if isinstance(body, dict) else None
    if isinstance(found, dict):
        for place in (found.get("details"), found):
            if isinstance(place, dict):
                for key in PERMISSION_KEYS:
                    if isinstance(place.get(key), str) and place[key].strip():
                        return place[key].strip()[:80]
    match = QUOTED.search(error.message or "")
    return match.group(1) if match else ""


def excerpt_of(error) -> str:
    if error is None or not error.raw_body:
        return ""
    text = error.raw_body.strip()
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def latency_facts(checks) -> list[tuple[str, str]]:
    """Timeouts and latency over the latest checks, for an unreachable connection."""
    checks = list(checks)
    if not checks:
        return []
    timeouts = sum(1 for check in checks if check.error_code == "TIMEOUT")
    refused = sum(1 for check in checks if check.error_code == "CONNECT_FAILED")
    answered = [check.latency_ms for check in checks if check.outcome != Outcome.UNREACHABLE]
    facts = [
        ("Timeouts", f"{timeouts} of the last {len(checks)} checks"),
        ("Refused / no address", f"{refused} of the last {len(checks)} checks"),
        ("Timeout limit", f"{settings.UNIFIED_API_TIMEOUT_SECONDS:g} s"),
    ]
    latencies = [check.latency_ms for check in checks]
    facts.append(("Latency (last checks)", f"median {sorted(latencies)[len(latencies) // 2]} ms, "
                                           f"max {max(latencies)} ms"))  # fmt: skip
    if answered:
        facts.append(("Last answered in", f"{answered[0]} ms"))
    return facts


def playbook_for(
    connection,
    *,
    staff: bool,
    checks=(),
    latest_error=None,
    upcoming: NextCheck | None = None,
    incident=None,
) -> Playbook | None:
    """The panel for this connection as it is now; None when it is healthy and checked."""
    status = connection.health_status
    since = connection.status_changed_at
    checks = list(checks)
    code = latest_error.error_code if latest_error is not None else ""
    system = connection.get_system_display()
    rate_limited_until = upcoming.rate_limited_until if upcoming else None
    book: Playbook | None
    if status == HealthStatus.HEALTHY:
        book = None
    elif status == HealthStatus.UNKNOWN:
        book = _unknown(checks, rate_limited_until, staff, system)
    elif status == HealthStatus.REAUTH_REQUIRED:
        book = _reauth(staff, system, code)
    elif status == HealthStatus.DISCONNECTED:
        book = _disconnected(staff, system)
    else:
        book = _failing(connection, staff, system, checks, latest_error)
    if book is not None:
        book.since = book.since or since
        if incident is not None and status != HealthStatus.HEALTHY:
            book.incident = incident
    if rate_limited_until and book is None:
        book = Playbook(
            "rate_limited",
            "Rate limited by the upstream" if staff else "Checks are paused for a moment",
            None,
            "The last check was answered with 429 Too Many Requests; that says nothing about "
            "the connection's health, which stays as last seen.",
            [f"Nothing to do: Patchbay waits as asked and checks again after "
             f"{timezone.localtime(rate_limited_until):%H:%M %Z}."],
        )  # fmt: skip
    return book


def _unknown(checks, rate_limited_until, staff, system) -> Playbook:
    limited = [check for check in checks if check.outcome == Outcome.RATE_LIMITED]
    if checks and len(limited) == len(checks):
        return Playbook(
            "rate_limited",
            "Health unknown: every check so far was rate limited",
            None,
            f"{system} answered each of the last {len(checks)} checks with 429 Too Many "
            "Requests, so Patchbay has not yet seen whether this connection works. It is not "
            "counted as up or down.",
            [
                "Patchbay backs off as the upstream asks and tries again by itself."
                if staff
                else "Nothing to do yet: we try again by ourselves.",
                "If it lasts, check the API quota of this account with the vendor."
                if staff
                else "If it lasts more than an hour, your API quota with the vendor may be "
                "used up by another tool.",
            ],
        )
    return Playbook(
        HealthStatus.UNKNOWN,
        "Not checked yet",
        None,
        "Patchbay has not yet had an answer about this connection.",
        ["The first check runs with the next sweep; Check now runs one at once."],
    )


def _reauth(staff, system, code) -> Playbook:
    if staff:
        return Playbook(
            HealthStatus.REAUTH_REQUIRED,
            "The customer must reconnect",
            None,
            f"{system} no longer accepts this connection's credentials"
            + (f" ({code})" if code else "")
            + ": no data flows until someone at the customer signs in again. Only the "
            "customer can do this.",
            [
                "Check below that the customer was told, and when; send the notice again if "
                "it failed or went unread.",
                "If they cannot sign in, ask them to check the account's password and access "
                f"in {system}.",
            ],
            show_notices=True,
            can_resend=True,
        )
    return Playbook(
        HealthStatus.REAUTH_REQUIRED,
        f"Sign in to {system} again to reconnect",
        None,
        f"{system} stopped accepting the sign-in this connection uses (a password change, "
        "an expired session or revoked access). Data stops flowing until you reconnect.",
        [
            "Choose Reconnect and sign in with an account that has access.",
            "Patchbay checks the connection at once and shows it healthy again.",
        ],
        can_reconnect=True,
    )


def _disconnected(staff, system) -> Playbook:
    return Playbook(
        HealthStatus.DISCONNECTED,
        "Disconnected upstream" if staff else "This connection was removed",
        None,
        f"The unified API says this connection to {system} no longer exists or was "
        "disconnected; calls cannot succeed until it is connected again.",
        [
            "Ask the customer whether they removed it on purpose; if not, they reconnect it."
            if staff
            else "If you did not mean to remove it, choose Reconnect to set it up again.",
        ],
        can_reconnect=not staff,
        show_notices=staff,
    )


def _failing(connection, staff, system, checks, error) -> Playbook:
    outcome = next(
        (check.outcome for check in checks if check.outcome not in (Outcome.OK,
                                                                    Outcome.RATE_LIMITED)),
        Outcome.UPSTREAM_ERROR,
    )  # fmt: skip
    code = error.error_code if error is not None else ""
    tone = connection.health_status
    if not staff:
        return _failing_for_customer(tone, outcome, system, code, error)
    if outcome == Outcome.PERMISSION:
        permission = permission_named(error)
        book = Playbook(
            tone,
            f"Permission denied: {permission}" if permission else "Permission denied",
            None,
            f"{system} accepts the credentials but refuses this call"
            + (f": the account lacks the permission “{permission}”." if permission
               else "; the upstream did not name the permission (its message is below).")
            + " It will not fix itself.",
            ["Ask the customer's admin to grant that permission to the account the connection "
             "signs in with, then use Check now.",
             "If the permission was granted, the connection may use another account: "
             "reconnecting with the right one also fixes it."],
            permission=permission,
        )  # fmt: skip
    elif outcome == Outcome.PROTOCOL_ERROR:
        book = Playbook(
            tone,
            f"Protocol error{': ' + code if code else ''}",
            None,
            "The upstream answered, but not in the unified API's format"
            + (f" ({error.message})" if error is not None and error.message else "")
            + ". Usually a proxy or gateway page in front of the API, or a vendor change.",
            ["Look at the excerpt of what came back below.",
             "If it is an HTML error page, the customer's gateway or the vendor is at fault: "
             "open a ticket with the upstream and attach the request id."],
            excerpt=excerpt_of(error),
        )  # fmt: skip
    elif outcome == Outcome.UNREACHABLE:
        book = Playbook(
            tone,
            f"Unreachable{': ' + code if code else ''}",
            None,
            "Patchbay could not get an answer from the upstream at all (a timeout, a refused "
            "connection or no address).",
            ["If only this connection is affected, it is likely the customer's network or "
             "gateway; if many of one system are, see the incident at the top.",
             "The timeouts and latency below show whether it is slow or down."],
            facts=latency_facts(checks),
        )  # fmt: skip
    elif outcome == Outcome.NO_TOKEN:
        book = Playbook(
            tone,
            f"No usable API token{': ' + code if code else ''}",
            None,
            (error.message if error is not None and error.message else
             "This connection has no active API token Patchbay can call with."),
            ["Issue a token on the Tokens page, or ask the customer to reconnect.",
             "TOKEN_UNDECRYPTABLE means an encryption key was retired too soon: restore it."],
        )  # fmt: skip
    else:
        book = Playbook(
            tone,
            f"Upstream error{': ' + code if code else ''}",
            None,
            f"{system} answered with an error"
            + (f" ({error.message})" if error is not None and error.message else "")
            + ". Usually temporary, on the vendor's or the customer's side.",
            [f"The customer is told by email if it lasts {settings.NOTIFY_ERROR_AFTER_MINUTES} "
             "minutes; until then, watch whether it recovers.",
             "If it lasts, check the vendor's status page and the customer's system."],
            show_notices=True,
        )  # fmt: skip
    return book


def _failing_for_customer(tone, outcome, system, code, error) -> Playbook:
    if outcome == Outcome.PERMISSION:
        permission = permission_named(error)
        return Playbook(
            tone,
            "The account used lacks a permission",
            None,
            f"{system} refuses this connection's calls"
            + (f": its account needs the permission “{permission}”." if permission else ".")
            + " Data stops flowing until it is granted.",
            ["Ask your administrator to grant it to the account the connection signs in with.",
             "Or choose Reconnect and sign in with an account that has it."],
            permission=permission,
            can_reconnect=True,
        )  # fmt: skip
    if outcome == Outcome.NO_TOKEN:
        return Playbook(
            tone,
            "This connection needs to be set up again",
            None,
            "Patchbay has no working credentials for it.",
            ["Choose Reconnect and sign in again. Our support team can see this too."],
            can_reconnect=True,
        )
    return Playbook(
        tone,
        f"{system} is not answering properly",
        None,
        f"Calls to {system} are failing"
        + (f" ({code})" if code else "")
        + ". This is usually temporary, on the system's side; data catches up once it recovers.",
        [
            "Our support team sees this too and is on it; you do not need to report it.",
            f"If it lasts, check that {system} is up for your users. We email you if it lasts "
            f"more than {settings.NOTIFY_ERROR_AFTER_MINUTES} minutes.",
        ],
    )
