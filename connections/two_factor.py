"""Two-factor sign-in for platform staff: an authenticator app (TOTP) plus single-use recovery
codes, through django-otp's TOTP and static devices.

Admins and support can rotate production tokens and see every customer, so with
TWO_FACTOR_REQUIRED on (production) they set up a second factor before any page opens, and
every sign-in asks for it. Whoever has set one up is asked for it at sign-in even with the
setting off. A wrong code counts as a failed sign-in for django-axes, so the password step and
the code step share one lockout; django-otp's own per-device backoff comes on top. Setting up,
each verification, each wrong code and each recovery code used are audited.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as reset_axes
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from connections import audit
from connections.actors import Actor

RECOVERY_CODE_COUNT = 10
# Pages a signed-in person reaches before the second factor: signing in and out, setting the
# factor up, the public reconnect-link pages (they have their own authentication: the link).
OPEN_BEFORE_SECOND_FACTOR = {
    "login",
    "logout",
    "two_factor_setup",
    "two_factor_qr",
    "two_factor_verify",
    "reconnect_link",
    "reconnect_link_callback",
    "unified_webhook",
}
OPEN_NAMESPACES = {"mappings-api"}
# Set at sign-in for someone with a second factor: every page waits for the code.
OWED_SESSION_KEY = "two_factor_owed"  # authenticated by a connection's Bearer token, not a session


class TwoFactorFailed(Exception):
    """A code was not accepted; the message is safe to show."""


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def must_set_up(user) -> bool:
    return settings.TWO_FACTOR_REQUIRED and user.is_platform_staff


def pending_totp(user) -> TOTPDevice:
    """The not yet confirmed authenticator being set up, made on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def formatted_key(device: TOTPDevice) -> str:
    """The secret in base32 groups of four, for typing into an app by hand."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def confirm_setup(request, code: str, *, actor: Actor) -> list[str]:
    """Confirm the pending authenticator with a code it shows, mark this session verified and
    return fresh recovery codes (shown once). Raises TwoFactorFailed."""
    user = request.user
    device = pending_totp(user)
    if not device.verify_token(code.strip().replace(" ", "")):
        raise TwoFactorFailed(
            "That code does not match. Check the app shows Patchbay and type the current code."
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        audit.record("user.two_factor_enabled", user, actor=actor, changes={"device": device.name})
    otp_login(request, device)
    request.session[OWED_SESSION_KEY] = True  # from now on, this session is verified
    return codes


def regenerate_recovery_codes(user, *, actor: Actor) -> list[str]:
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit.record("user.recovery_codes_regenerated", user, actor=actor)
    return codes


def _new_recovery_codes(user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, defaults={"name": "Recovery codes"})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def verify(request, code: str, *, actor: Actor) -> None:
    """Check the second step's code (from the app, or a recovery code); on success the session
    is verified and the axes failures are cleared. Raises TwoFactorFailed, counting the failure
    for axes (which may lock the account and sign the session out)."""
    user = request.user
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        logout(request)
        raise TwoFactorFailed("locked")
    code = code.strip().replace(" ", "")
    device = _matching_device(user, code)
    if device is None:
        audit.record("user.two_factor_failed", user, actor=actor)
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            logout(request)
            raise TwoFactorFailed("locked")
        raise TwoFactorFailed("That code is not right, or was already used. Try the current one.")
    otp_login(request, device)
    request.session.pop(OWED_SESSION_KEY, None)
    reset_axes(username=user.get_username())
    if isinstance(device, StaticDevice):
        left = device.token_set.count()
        audit.record("user.recovery_code_used", user, actor=actor, changes={"codes_left": left})
    else:
        audit.record("user.two_factor_verified", user, actor=actor)


def _matching_device(user, code: str):
    with transaction.atomic():
        # An app's code is six digits, a recovery code eight letters and digits: each is tried
        # only on its own device, so a recovery code never counts against the app's backoff.
        if len(code) == 6 and code.isdigit():
            device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
        else:
            device = StaticDevice.objects.select_for_update().filter(user=user)
        device = device.first()
        if device is not None and not device.verify_is_allowed()[0]:
            # django-otp's backoff after a wrong code: say so rather than "wrong" again.
            raise TwoFactorFailed("Too many wrong codes in a row: wait a few seconds, then try.")
        if device is not None and code and device.verify_token(code):
            return device
    return None


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@receiver(user_logged_in)
def after_password(sender, request, user, **kwargs):
    """Note in the session whether this sign-in owes a second factor. With
    AXES_RESET_ON_SUCCESS off, failures are cleared here at once for someone with no second
    step, and after the code for someone with one (else each correct password would reset the
    count and the code step could be guessed without end)."""
    if user.is_platform_staff and has_second_factor(user):
        if request is not None and hasattr(request, "session"):
            request.session[OWED_SESSION_KEY] = True
    else:
        reset_axes(username=user.get_username())


class TwoFactorMiddleware:
    """Send a signed-in person who still owes a second factor to give it (or, for staff when
    TWO_FACTOR_REQUIRED is on, to set one up) before any other page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        # Only staff set up a second factor; members sign in with their password alone.
        if user is None or not user.is_authenticated or not user.is_platform_staff:
            return None
        match = request.resolver_match
        if match is None or match.url_name in OPEN_BEFORE_SECOND_FACTOR:
            return None
        if set(match.namespaces) & OPEN_NAMESPACES:
            return None
        owed = request.session.get(OWED_SESSION_KEY)  # noted at sign-in: no query per page
        required = must_set_up(user)
        if not (owed or required) or user.is_verified():
            return None
        target = "two_factor_verify" if owed else "two_factor_setup"
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return redirect(reverse(target) + (f"?{query}" if query else ""))
