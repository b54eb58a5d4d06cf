"""Token pages: list and metadata for staff; issue, rotate and revoke for admins only.

A new token's plaintext is rendered once, in the response to the POST that issued it, with
no-store caching. Each form carries a one-time nonce, so re-posting (a reload) never issues a
second token nor shows the first one again.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from connections import tokens as token_actions
from connections.actors import Actor
from connections.forms import IssueTokenForm, RotateTokenForm, TokenFilterForm
from connections.models import ApiToken, Connection, Customer, TokenStatus
from connections.next_page import next_page
from connections.permissions import admin_required, staff_required
from connections.tenancy import get_scoped_or_404, scoped

NONCE_SESSION_KEY = "token_form_nonces"


def new_form_nonce(request) -> str:
    nonce = secrets.token_urlsafe(16)
    nonces = request.session.get(NONCE_SESSION_KEY, [])[-20:]
    request.session[NONCE_SESSION_KEY] = [*nonces, nonce]
    return nonce


def consume_form_nonce(request) -> bool:
    nonce = request.POST.get("nonce", "")
    nonces = request.session.get(NONCE_SESSION_KEY, [])
    if nonce not in nonces:
        return False
    nonces.remove(nonce)
    request.session[NONCE_SESSION_KEY] = nonces
    return True


@staff_required
def token_list(request):
    customers = scoped(Customer, request.user)
    form = TokenFilterForm(request.GET or None, customers=customers, warning_days=warning_days())
    visible = scoped(ApiToken.objects.for_listing(), request.user)
    token_rows = visible
    if form.is_valid():
        token_rows = token_rows.filtered(**form.cleaned_data, warning_days=warning_days())
    page = Paginator(token_rows, 50).get_page(request.GET.get("page"))
    expiring = visible.expiring_unreplaced(expiring_before()).order_by("expires_at")
    return render(
        request,
        "connections/token_list.html",
        {
            "page": page,
            "form": form,
            "expiring_before": expiring_before(),
            "expiring": expiring[:10],
            "expiring_count": expiring.count(),
            "warning_days": warning_days(),
            "here": request.get_full_path(),
        },
    )


@staff_required
def connection_tokens(request, connection_id: int):
    connection = get_scoped_or_404(
        Connection.objects.with_customer(), request.user, pk=connection_id
    )
    return tokens_page(request, connection, IssueTokenForm())


def tokens_page(request, connection: Connection, issue_form: IssueTokenForm, status: int = 200):
    token_rows = scoped(ApiToken.objects.for_listing(), request.user).filter(connection=connection)
    return render(
        request,
        "connections/connection_tokens.html",
        {
            "connection": connection,
            "tokens": token_rows,
            "has_active_token": any(row.status in token_actions.USABLE for row in token_rows),
            "issue_form": issue_form,
            "nonce": new_form_nonce(request) if request.user.is_platform_admin else "",
            "expiring_before": expiring_before(),
            "here": request.get_full_path(),
        },
        status=status,
    )


@never_cache
@require_POST
@admin_required
@sensitive_variables("issued")
def issue_token(request, connection_id: int):
    connection = get_scoped_or_404(
        Connection.objects.with_customer(), request.user, pk=connection_id
    )
    form = IssueTokenForm(request.POST)
    if not consume_form_nonce(request):
        messages.error(request, "That form was already used. A token is only ever shown once.")
        return redirect("connection_tokens", connection_id=connection.pk)
    if not form.is_valid():
        return tokens_page(request, connection, form, status=400)
    try:
        issued = token_actions.issue_token(
            connection,
            actor=Actor.from_request(request),
            label=form.cleaned_data["label"],
            expires_in=form.cleaned_data["expires"],
        )
    except token_actions.TokenActionError as error:
        messages.error(request, str(error))
        return redirect("connection_tokens", connection_id=connection.pk)
    return reveal(request, issued, action="issued")


@admin_required
def rotate_token(request, token_id: int):
    token = get_scoped_or_404(ApiToken.objects.for_listing(), request.user, pk=token_id)
    if request.method != "POST" or token.status != TokenStatus.ACTIVE:
        # A revoked, expired or already rotated token's page says so instead of asking.
        return render(
            request,
            "connections/token_rotate.html",
            {
                "token": token,
                "form": RotateTokenForm(token=token),
                "nonce": new_form_nonce(request),
            },
            status=200 if request.method != "POST" else 409,
        )
    return _rotate(request, token)


@never_cache
@sensitive_variables("issued")
def _rotate(request, token: ApiToken):
    form = RotateTokenForm(request.POST, token=token)
    if not consume_form_nonce(request):
        messages.error(request, "That form was already used. A token is only ever shown once.")
        return redirect("connection_tokens", connection_id=token.connection_id)
    if not form.is_valid():
        return render(
            request,
            "connections/token_rotate.html",
            {"token": token, "form": form, "nonce": new_form_nonce(request)},
            status=400,
        )
    try:
        issued = token_actions.rotate_token(
            token,
            actor=Actor.from_request(request),
            overlap=timedelta(hours=form.cleaned_data["overlap_hours"]),
            expires_in=form.cleaned_data["expires"],
        )
    except token_actions.TokenActionError as error:
        messages.error(request, str(error))
        return redirect("connection_tokens", connection_id=token.connection_id)
    return reveal(request, issued, action="rotated", old=token)


@admin_required
def revoke_token(request, token_id: int):
    token = get_scoped_or_404(ApiToken.objects.for_listing(), request.user, pk=token_id)
    back = back_to(request, token)
    if request.method == "POST" and token.revoked_at is None:
        try:
            token_actions.revoke_token(token, actor=Actor.from_request(request))
        except token_actions.TokenActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"Token …{token.last4} of {token.connection.display_name} "
                f"({token.connection.customer.name}) is revoked.",
            )
        return redirect(back)
    # An already revoked token's page says when and by whom, and asks nothing.
    return render(
        request,
        "connections/token_revoke.html",
        {"token": token, "back": back},
        status=409 if request.method == "POST" else 200,
    )


def back_to(request, token: ApiToken) -> str:
    """Where to return after acting on `token`: the page the action was started from (the
    token list keeps its filters), else the token's connection's tokens."""
    return next_page(
        request, reverse("connection_tokens", kwargs={"connection_id": token.connection_id})
    )


@sensitive_variables("issued")
def reveal(request, issued: token_actions.IssuedToken, *, action: str, old: ApiToken | None = None):
    token_actions.record_reveal(issued.token, actor=Actor.from_request(request))
    response = render(
        request,
        "connections/token_reveal.html",
        {"issued": issued, "token": issued.token, "action": action, "old": old},
    )
    response["Cache-Control"] = "no-store"
    return response


def warning_days() -> int:
    return settings.TOKEN_EXPIRY_WARNING_DAYS


def expiring_before():
    return timezone.now() + timedelta(days=warning_days())
