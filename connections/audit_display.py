"""The audit trail in people's words: action names, objects named as the pages name them, and
each entry's changes as a sentence instead of a raw dict.

Objects are named when the page is shown (one query per kind of object on the page), so an
entry written before a rename, or by an older Patchbay, still reads "token …5q7E of Acme SAP
production"; an object that no longer exists keeps the name it had when the entry was written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from connections.models import ApiToken, AuditEvent, Connection, Customer, User

ACTIONS = {
    "token.issued": "Token issued",
    "token.issued_by_reconnect": "Token issued by a reconnect",
    "token.rotated": "Token rotated",
    "token.revoked": "Token revoked",
    "token.auto_revoked": "Token revoked after its rotation overlap",
    "token.revealed": "New token shown once",
    "token.expiry_announced": "Customer told a token expires soon",
    "tokens.reencrypted": "Tokens re-encrypted under a new key",
    "connection.check_requested": "Check now requested",
    "connection.reconnect_started": "Reconnect started",
    "connection.reconnected": "Connection reconnected",
    "reconnect_link.created": "Reconnect link created",
    "reconnect_link.opened": "Reconnect link opened",
    "reconnect_link.used": "Reconnect link used",
    "reconnect_link.expired": "Reconnect link expired",
    "reconnect_link.revoked": "Reconnect link revoked",
    "reconnect_link.refused": "Reconnect link refused",
    "issue.acknowledged": "Issue acknowledged",
    "issue.assigned": "Issue assigned",
    "issue.noted": "Note added to an issue",
    "mapping.saved": "Mapping saved",
    "mapping.rolled_back": "Mapping rolled back",
    "user.created": "User created",
    "user.role_changed": "User's role changed",
    "user.two_factor_enabled": "Two-factor sign-in set up",
    "user.two_factor_verified": "Signed in with a second factor",
    "user.two_factor_failed": "Wrong two-factor code",
    "user.recovery_code_used": "Signed in with a recovery code",
    "user.recovery_codes_regenerated": "New recovery codes made",
    "audit.exported": "Audit log exported",
}
ACTION_GROUPS = {
    "token": "Tokens",
    "connection.": "Connections",
    "reconnect_link.": "Reconnect links",
    "issue.": "Issues",
    "mapping.": "Mappings",
    "user.": "Users and sign-in",
    "audit.": "Audit log",
}
OBJECT_TYPES = {
    "connections.apitoken": "Token",
    "connections.connection": "Connection",
    "connections.customer": "Customer",
    "connections.user": "User",
    "monitoring.reconnectlink": "Reconnect link",
    "monitoring.issue": "Issue",
    "mappings.mappingversion": "Mapping version",
    "connections.auditevent": "Audit log",
}


def action_label(action: str) -> str:
    return ACTIONS.get(action) or action.replace("_", " ").replace(".", ": ").capitalize()


def object_type_label(object_type: str) -> str:
    return OBJECT_TYPES.get(object_type) or object_type.rsplit(".", 1)[-1].capitalize()


def action_choices() -> list:
    """Grouped choices for the action filter: "any token action", then each token action…"""
    choices: list = [("", "Any action")]
    for prefix, group in ACTION_GROUPS.items():
        members = [
            (action, label) for action, label in ACTIONS.items() if action.startswith(prefix)
        ]
        choices.append((group, [(prefix, f"Any of these ({group.lower()})"), *members]))
    return choices


def object_type_choices() -> list:
    return [("", "Any object"), *OBJECT_TYPES.items()]


@dataclass(frozen=True)
class NamedObject:
    name: str
    url: str = ""


def _token_url(token: ApiToken) -> str:
    return reverse("connection_tokens", kwargs={"connection_id": token.connection_id}) + (
        f"#token-{token.pk}"
    )


# How each kind of object is loaded for a page of entries, named and linked.
_LOADERS = {
    "connections.apitoken": (
        lambda ids: ApiToken.objects.select_related("connection").in_bulk(ids),
        lambda token: NamedObject(str(token), _token_url(token)),
    ),
    "connections.connection": (
        lambda ids: Connection.objects.in_bulk(ids),
        lambda connection: NamedObject(
            str(connection),
            reverse("connection_detail", kwargs={"connection_id": connection.pk}),
        ),
    ),
    "connections.customer": (
        lambda ids: Customer.objects.in_bulk(ids),
        lambda customer: NamedObject(f"customer {customer.name}"),
    ),
    "connections.user": (
        lambda ids: User.objects.in_bulk(ids),
        lambda user: NamedObject(f"user {user.get_username()}"),
    ),
}


def name_objects(events: Iterable[AuditEvent]) -> dict[str, NamedObject]:
    """Each event's object named as the app names it, by event id; one query per kind."""
    events = list(events)
    ids_by_type: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.object_type in _LOADERS and event.object_id.isdigit():
            ids_by_type[event.object_type].add(int(event.object_id))
    loaded = {
        object_type: _LOADERS[object_type][0](sorted(ids))
        for object_type, ids in ids_by_type.items()
    }
    names = {}
    for event in events:
        found = None
        if event.object_id.isdigit():
            found = loaded.get(event.object_type, {}).get(int(event.object_id))
        if found is not None:
            names[str(event.pk)] = _LOADERS[event.object_type][1](found)
        else:
            names[str(event.pk)] = NamedObject(event.object_repr or event.object_type)
    return names


def _when(value) -> str:
    if not value:
        return "never"
    try:
        return datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return str(value)


def _token(summary) -> str:
    if not isinstance(summary, dict):
        return "a token"
    label = f" “{summary['label']}”" if summary.get("label") else ""
    return f"token …{summary.get('last4', '????')}{label}"


def _expiry(summary) -> str:
    if not isinstance(summary, dict):
        return ""
    expires = summary.get("expires_at")
    return f"expires {_when(expires)}" if expires else "never expires"


def summary(event: AuditEvent) -> str:
    """One sentence for what the entry changed; never a dict's repr."""
    changes = event.changes if isinstance(event.changes, dict) else {}
    before, after = changes.get("before"), changes.get("after")
    action = event.action
    link = f" through reconnect link #{changes['link']}" if changes.get("link") else ""
    if action in ("token.issued", "token.issued_by_reconnect") and after:
        return f"Issued {_token(after)} ({after.get('environment', '')}), {_expiry(after)}.{link}"
    if action == "token.rotated" and before and after:
        overlap = changes.get("overlap_hours")
        return (
            f"Replaced {_token(before)} with …{after.get('last4')}, which {_expiry(after)}; "
            f"the old one stays valid for {overlap:g} hours, then is revoked."
        )
    if action == "token.revoked" and before:
        return f"Revoked {_token(before)} at the upstream and in Patchbay.{link}"
    if action == "token.auto_revoked" and before:
        return f"Revoked {_token(before)} automatically: its rotation overlap ended."
    if action == "token.revealed":
        return f"Showed the new {_token(changes.get('token'))} once, to the person who made it."
    if action == "token.expiry_announced":
        return f"Told {changes.get('to')} that it {_expiry(changes)}."
    if action == "tokens.reencrypted":
        counts = changes.get("counts") or {}
        parts = ", ".join(f"{count} {what}" for what, count in counts.items())
        return f"Re-encrypted tokens under the first key: {parts or 'none'}."
    if action == "connection.reconnected":
        revoked = changes.get("revoked") or []
        kept = changes.get("kept") or []
        text = f"Reconnected with a new token; revoked {len(revoked)} old token(s)"
        return text + (f", {len(kept)} could not be revoked yet." if kept else ".") + link
    if action == "connection.reconnect_started":
        return f"Sent to the upstream's sign-in page{link}."
    if action.startswith("reconnect_link."):
        return _link_summary(action, changes)
    if action == "audit.exported":
        filters = changes.get("filters") or {}
        described = ", ".join(f"{key} {value}" for key, value in filters.items())
        return "Exported the audit log as CSV" + (
            f", filtered by {described}." if described else ", unfiltered."
        )
    return generic_summary(changes)


def _link_summary(action: str, changes: dict) -> str:
    until = _when(changes.get("expires_at"))
    why = changes.get("reason", "")
    return {
        "reconnect_link.created": f"Created a single-use reconnect link, valid until {until}"
        + (" (sent with the reauthorization notice)." if changes.get("notification") else "."),
        "reconnect_link.opened": "Someone opened the reconnect link.",
        "reconnect_link.used": "The reconnect link was used; it cannot be used again.",
        "reconnect_link.expired": f"The reconnect link expired unused at {until}.",
        "reconnect_link.revoked": "Revoked the reconnect link; it cannot be used any more.",
        "reconnect_link.refused": f"Refused the reconnect link: {why}.",
    }.get(action, generic_summary(changes))


def generic_summary(changes: dict) -> str:
    """Any other entry: what went from what to what, or its facts, in words."""
    if not changes:
        return ""
    before, after = changes.get("before"), changes.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        moved = [
            f"{_words(key)} {_value(before.get(key))} → {_value(after.get(key))}"
            for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)
        ]
        return "; ".join(moved).capitalize() + "." if moved else "No change."
    if "before" in changes or "after" in changes:
        return f"{_value(before)} → {_value(after)}."
    facts = [f"{_words(key)}: {_value(value)}" for key, value in changes.items()]
    return "; ".join(facts).capitalize() + "."


def _words(key: str) -> str:
    return key.replace("_id", "").replace("_", " ")


def _value(value) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, list | tuple):
        return ", ".join(_value(item) for item in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{_words(k)} {_value(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
