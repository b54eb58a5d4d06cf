"""Reconnect a connection that needs reauthorization: off to the upstream's sign-in, and back."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from connections.actors import Actor
from monitoring import reconnect
from monitoring.views.connection import scoped_connection


@login_required
@require_http_methods(["GET", "POST"])
def connection_reconnect(request, connection_id: int):
    """GET (the link in a notice) asks to confirm; the audited POST leaves for the upstream."""
    connection = scoped_connection(request, connection_id)
    if request.method == "GET":
        return render(request, "monitoring/reconnect.html", {"connection": connection})
    started = reconnect.start(
        connection,
        actor=Actor.from_request(request),
        redirect_uri=callback_uri(request, connection),
    )
    request.session[reconnect.session_key(connection)] = started.nonce
    return redirect(started.url)


@login_required
def connection_reconnect_callback(request, connection_id: int):
    connection = scoped_connection(request, connection_id)
    try:
        done = reconnect.finish(
            connection,
            actor=Actor.from_request(request),
            params=request.GET,
            expected_nonce=request.session.pop(reconnect.session_key(connection), None),
            redirect_uri=callback_uri(request, connection),
        )
    except reconnect.ReconnectFailed as failure:
        messages.error(request, f"{connection.display_name} was not reconnected. {failure}")
        return redirect("connection_detail", connection_id=connection.pk)
    connection.refresh_from_db()
    old = (
        "the old one is revoked"
        if not done.still_active
        else "the upstream would not revoke the old one yet, so it is still active"
    )
    messages.success(
        request,
        f"{connection.display_name} is reconnected with a new token; {old}. "
        f"Status now: {connection.get_health_status_display()}.",
    )
    return redirect("connection_detail", connection_id=connection.pk)


def callback_uri(request, connection) -> str:
    return request.build_absolute_uri(
        reverse("connection_reconnect_callback", kwargs={"connection_id": connection.pk})
    )
