"""Reconnect links: staff make and revoke them on a connection's page; whoever holds one opens
it, with no account, and reconnects that one connection through the upstream's sign-in.

The holder's pages are public (the signed link is their authentication) and give nothing
else: no other connection, no other page, no dashboard session. The sign-in's nonce rides in a
short-lived signed cookie on /reconnect/ only, not in a session.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from connections.actors import Actor
from connections.permissions import staff_required
from connections.tenancy import get_scoped_or_404, scoped
from monitoring import reconnect, reconnect_links
from monitoring.forms import ReconnectLinkForm
from monitoring.models import ReconnectLink
from monitoring.views.connection import scoped_connection

NONCE_COOKIE = "pb_reconnect"
NONCE_COOKIE_SALT = "patchbay.reconnect-link-nonce"


@staff_required
@require_http_methods(["GET", "POST"])
def connection_reconnect_links(request, connection_id: int):
    """A connection's links (status, who made them) and a form to make one."""
    connection = scoped_connection(request, connection_id)
    form = ReconnectLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        link = reconnect_links.create(
            connection, actor=Actor.from_request(request), valid_for=form.cleaned_data["valid_for"]
        )
        return redirect(
            reverse("connection_reconnect_links", kwargs={"connection_id": connection.pk})
            + f"?created={link.pk}"
        )
    links = scoped(ReconnectLink.objects.select_related("created_by"), request.user).filter(
        connection=connection
    )[:50]
    created = next((link for link in links if str(link.pk) == request.GET.get("created", "")), None)
    return render(
        request,
        "monitoring/reconnect_links.html",
        {
            "connection": connection,
            "links": links,
            "form": form,
            # The new link's URL is shown to the person who just made it, to copy and send.
            "created": created if created and created.created_by_id == request.user.pk else None,
            "created_url": reconnect_links.url_for(created) if created else "",
        },
        status=400 if form.errors else 200,
    )


@require_POST
@staff_required
def reconnect_link_revoke(request, link_id: int):
    link = get_scoped_or_404(
        ReconnectLink.objects.select_related("connection__customer"), request.user, pk=link_id
    )
    if reconnect_links.revoke(link, actor=Actor.from_request(request)):
        messages.success(request, f"Reconnect link #{link.pk} is revoked: it no longer works.")
    else:
        messages.error(request, f"Reconnect link #{link.pk} was already used, revoked or expired.")
    return redirect("connection_reconnect_links", connection_id=link.connection_id)


@never_cache
@require_http_methods(["GET", "POST"])
def reconnect_link(request, connection_id: int, token: str):
    """The holder's page: GET says what the link does; POST leaves for the upstream's sign-in."""
    try:
        link = reconnect_links.find(connection_id, token, user=request.user)
    except reconnect_links.LinkRefused as refused:
        return refusal_page(request, refused)
    actor = reconnect_links.holder(request, link)
    if request.method == "GET":
        reconnect_links.record_opened(link, actor=actor)
        return render(request, "monitoring/reconnect_link.html", {"link": link, "token": token})
    try:
        started = reconnect.start(
            link.connection, actor=actor, redirect_uri=callback_uri(request), link=link
        )
    except reconnect.ReconnectFailed:
        link.refresh_from_db()
        return refusal_page(request, _refusal_now(link))
    response = redirect(started.url)
    response.set_signed_cookie(
        NONCE_COOKIE,
        started.nonce,
        salt=NONCE_COOKIE_SALT,
        max_age=reconnect.STATE_MAX_AGE_SECONDS,
        path="/reconnect/",
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",  # sent on the upstream's top-level redirect back here
    )
    return response


@never_cache
def reconnect_link_callback(request):
    """The upstream sends the holder back here; the state names the link."""
    try:
        payload = reconnect.read_state(request.GET.get("state", ""))
        link = ReconnectLink.objects.select_related("connection__customer").get(
            pk=int(payload.get("link") or 0)
        )
    except (reconnect.ReconnectFailed, ReconnectLink.DoesNotExist, TypeError, ValueError):
        return refusal_page(request, reconnect_links.LinkRefused(reconnect_links.NOT_VALID))
    actor = reconnect_links.holder(request, link)
    try:
        reconnect_links.check_usable(link, user=request.user)
        done = reconnect.finish_with_link(
            link,
            actor=actor,
            params=request.GET,
            browser_nonce=request.get_signed_cookie(
                NONCE_COOKIE, default=None, salt=NONCE_COOKIE_SALT
            ),
            redirect_uri=callback_uri(request),
        )
    except reconnect_links.LinkRefused as refused:
        return refusal_page(request, refused)
    except reconnect.ReconnectFailed as failure:
        link.refresh_from_db()
        response = render(
            request,
            "monitoring/reconnect_link_failed.html",
            {"link": link, "failure": str(failure), "retry_url": retry_url(link)},
            status=400,
        )
        response.delete_cookie(NONCE_COOKIE, path="/reconnect/")
        return response
    link.connection.refresh_from_db()
    response = render(request, "monitoring/reconnect_link_done.html", {"link": link, "done": done})
    response.delete_cookie(NONCE_COOKIE, path="/reconnect/")
    return response


def refusal_page(request, refused: reconnect_links.LinkRefused):
    if refused.link is not None and refused.refusal is not reconnect_links.NOT_VALID:
        reconnect_links.record_refused(
            refused.link, refused.refusal, actor=reconnect_links.holder(request, refused.link)
        )
    return render(
        request,
        "monitoring/reconnect_link_refused.html",
        {"refusal": refused.refusal},
        status=refused.refusal.status,
    )


def _refusal_now(link: ReconnectLink) -> reconnect_links.LinkRefused:
    try:
        reconnect_links.check_usable(link)
    except reconnect_links.LinkRefused as refused:
        return refused
    return reconnect_links.LinkRefused(reconnect_links.NOT_VALID)


def retry_url(link: ReconnectLink) -> str:
    return reconnect_links.path_for(link) if link.status == "active" else ""


def callback_uri(request) -> str:
    """Where the upstream sends the holder back: on this host, the same for every link (the
    link's secret never travels to the upstream)."""
    return request.build_absolute_uri(reverse("reconnect_link_callback"))
