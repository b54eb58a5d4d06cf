"""Two-factor sign-in pages: set up an authenticator app, give its code after the password,
and make new recovery codes. The QR code is an SVG image served here (no inline script)."""

from __future__ import annotations

import io

import segno
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from connections import two_factor
from connections.actors import Actor
from connections.forms import SecondFactorForm
from connections.next_page import next_page
from connections.permissions import staff_required

LOCKED_TEMPLATE = "registration/locked_out.html"


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Show the app's QR code and key, and take a first code to confirm it; then the recovery
    codes, once. With a factor already set up, this page offers new recovery codes."""
    if two_factor.has_second_factor(request.user):
        if not request.user.is_verified():
            return redirect("two_factor_verify")
        return render(
            request,
            "connections/two_factor_status.html",
            {"codes_left": two_factor.recovery_codes_left(request.user)},
        )
    device = two_factor.pending_totp(request.user)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.confirm_setup(
                request, form.cleaned_data["code"], actor=Actor.from_request(request)
            )
        except two_factor.TwoFactorFailed as failure:
            form.add_error("code", str(failure))
        else:
            return render(
                request,
                "connections/two_factor_codes.html",
                {"codes": codes, "next": safe_next(request), "first_time": True},
            )
    return render(
        request,
        "connections/two_factor_setup.html",
        {
            "form": form,
            "key": two_factor.formatted_key(device),
            "required": two_factor.must_set_up(request.user),
            "next": safe_next(request),
        },
        status=400 if form.errors else 200,
    )


@never_cache
@staff_required
def two_factor_qr(request):
    """The pending authenticator's QR code as SVG; a confirmed one's secret is never shown."""
    if two_factor.has_second_factor(request.user):
        raise Http404("Two-factor sign-in is already set up.")
    device = two_factor.pending_totp(request.user)
    svg = io.BytesIO()
    segno.make(device.config_url, error="m").save(
        svg, kind="svg", scale=5, border=2, xmldecl=False, title="Patchbay authenticator key"
    )
    response = HttpResponse(svg.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """The second step of signing in: a code from the app, or one recovery code."""
    if not two_factor.has_second_factor(request.user):
        # Its factor was removed (an admin reset it): nothing to verify any more.
        request.session.pop(two_factor.OWED_SESSION_KEY, None)
        return redirect("two_factor_setup" if two_factor.must_set_up(request.user) else "home")
    if request.user.is_verified():
        return redirect(safe_next(request))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.verify(request, form.cleaned_data["code"], actor=Actor.from_request(request))
        except two_factor.TwoFactorFailed as failure:
            if str(failure) == "locked":
                return render(request, LOCKED_TEMPLATE, status=429)
            form.add_error("code", str(failure))
        else:
            if two_factor.recovery_codes_left(request.user) <= 2:
                messages.warning(
                    request,
                    f"Only {two_factor.recovery_codes_left(request.user)} recovery codes are "
                    "left: make new ones under Two-factor sign-in.",
                )
            return redirect(safe_next(request))
    return render(
        request,
        "connections/two_factor_verify.html",
        {"form": form, "next": safe_next(request)},
        status=400 if form.errors else 200,
    )


@never_cache
@require_POST
@staff_required
def two_factor_recovery_codes(request):
    """New recovery codes (the old ones stop working), shown once."""
    if not two_factor.has_second_factor(request.user):
        return redirect("two_factor_setup")
    codes = two_factor.regenerate_recovery_codes(request.user, actor=Actor.from_request(request))
    return render(request, "connections/two_factor_codes.html", {"codes": codes, "next": "/"})


def safe_next(request) -> str:
    return next_page(request, "/")
