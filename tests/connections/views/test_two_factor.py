"""Two-factor sign-in: staff set it up before any page when it is required, every sign-in asks
for the code, recovery codes work once, wrong codes are audited and throttled by axes."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from connections.models import AuditEvent

PASSWORD = "correct-horse-battery"


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True
    return settings


def code_for(device: TOTPDevice, at=None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    if at is not None:
        totp.time = at.timestamp()
    return f"{totp.token():06d}"


def sign_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def set_up(client, user) -> list[str]:
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page = client.post(reverse("two_factor_setup"), {"code": code_for(device)})
    assert page.status_code == 200
    return re.findall(r"<li><code>([a-z0-9]+)</code></li>", page.content.decode())


@pytest.mark.parametrize("persona", ["admin_user", "support_user"])
def test_staff_without_a_second_factor_are_sent_to_set_one_up_before_any_page(
    request, client, required, persona, connection_a
):
    user = request.getfixturevalue(persona)
    sign_in(client, user)
    for name, args in [("home", []), ("connection_detail", [connection_a.pk]),
                       ("token_list", []), ("error_list", [])]:  # fmt: skip
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302, name
        assert response["Location"] == reverse("two_factor_setup") + "?" + urlencode(
            {"next": reverse(name, args=args)}
        ), name
    assert client.post(reverse("connection_check", args=[connection_a.pk])).status_code == 302
    assert client.get("/admin/")["Location"].startswith(reverse("two_factor_setup"))


def test_members_are_not_asked(client, required, member_a):
    sign_in(client, member_a)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("two_factor_setup")).status_code == 404


def test_with_the_setting_off_the_demo_logins_go_straight_in(client, settings, admin_user):
    settings.TWO_FACTOR_REQUIRED = False
    sign_in(client, admin_user)
    assert client.get(reverse("home")).status_code == 200


def test_setting_it_up_shows_a_qr_image_then_recovery_codes_once(client, required, admin_user):
    sign_in(client, admin_user)
    page = client.get(reverse("two_factor_setup"))
    body = page.content.decode()
    assert page.status_code == 200
    assert (
        f'<img src="{reverse("two_factor_qr")}"' in body
        and "<script" not in body.split("</head>")[1]
    )
    qr = client.get(reverse("two_factor_qr"))
    assert qr["Content-Type"] == "image/svg+xml" and qr.content.startswith(b"<svg")
    assert "no-store" in qr["Cache-Control"]
    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    key = re.search(r'<code id="totp-key">([A-Z2-7 ]+)</code>', body).group(1)
    assert key.replace(" ", "") in device.config_url

    wrong = client.post(reverse("two_factor_setup"), {"code": "000000"})
    assert wrong.status_code == 400 and "does not match" in wrong.content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        codes = set_up(client, admin_user)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("two_factor_qr")).status_code == 404  # the secret is not shown again
    status = client.get(reverse("two_factor_setup")).content.decode()
    assert "10 unused recovery codes" in status and codes[0] not in status
    assert AuditEvent.objects.filter(action="user.two_factor_enabled", actor=admin_user).exists()


def test_each_sign_in_asks_for_the_code_and_a_recovery_code_works_once(
    client, required, admin_user
):
    sign_in(client, admin_user)
    codes = set_up(client, admin_user)
    client.logout()

    sign_in(client, admin_user)
    assert client.get(reverse("home"))["Location"].startswith(reverse("two_factor_verify"))
    device = TOTPDevice.objects.get(user=admin_user, confirmed=True)
    later = timezone.now() + timedelta(minutes=2)
    with time_machine.travel(later):
        verified = client.post(
            reverse("two_factor_verify") + "?next=/tokens/", {"code": code_for(device, later)}
        )
        assert verified["Location"] == "/tokens/"
        assert client.get(reverse("token_list")).status_code == 200
    client.logout()

    sign_in(client, admin_user)
    assert client.post(reverse("two_factor_verify"), {"code": codes[0]}).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.logout()
    sign_in(client, admin_user)
    reused = client.post(reverse("two_factor_verify"), {"code": codes[0]})
    assert reused.status_code == 400 and "already used" in reused.content.decode()
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("user.two_factor_verified") == 1
    assert actions.count("user.recovery_code_used") == 1
    assert actions.count("user.two_factor_failed") == 1


def test_someone_who_set_it_up_is_asked_even_with_the_setting_off(client, settings, admin_user):
    settings.TWO_FACTOR_REQUIRED = True
    sign_in(client, admin_user)
    set_up(client, admin_user)
    client.logout()
    settings.TWO_FACTOR_REQUIRED = False
    sign_in(client, admin_user)
    assert client.get(reverse("home"))["Location"].startswith(reverse("two_factor_verify"))


def test_wrong_codes_lock_the_account_through_axes(client, required, admin_user, settings):
    sign_in(client, admin_user)
    set_up(client, admin_user)
    client.logout()
    sign_in(client, admin_user)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            refused = client.post(reverse("two_factor_verify"), {"code": "123456"})
            assert "not right" in refused.content.decode()
            clock.shift(timedelta(seconds=60))  # past django-otp's own backoff
        locked = client.post(reverse("two_factor_verify"), {"code": "123456"})
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # The password step is locked too, even with the right password.
    again = client.post(reverse("login"), {"username": admin_user.username, "password": PASSWORD})
    assert again.status_code == 429
    assert AuditEvent.objects.filter(action="user.two_factor_failed").count() == (
        settings.AXES_FAILURE_LIMIT
    )


def test_a_right_password_does_not_reset_the_count_of_wrong_codes(
    client, required, admin_user, settings
):
    sign_in(client, admin_user)
    set_up(client, admin_user)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for attempt in range(settings.AXES_FAILURE_LIMIT):
            client.logout()
            response = (
                sign_in(client, admin_user)
                if attempt == 0
                else client.post(
                    reverse("login"), {"username": admin_user.username, "password": PASSWORD}
                )
            )
            assert response.status_code == 302
            client.post(reverse("two_factor_verify"), {"code": "654321"})
            clock.shift(timedelta(seconds=60))
    assert client.post(reverse("login"), {"username": admin_user.username,
                                          "password": PASSWORD}).status_code == 429  # fmt: skip


def test_new_recovery_codes_replace_the_old_ones(client, required, admin_user):
    sign_in(client, admin_user)
    old = set_up(client, admin_user)
    page = client.post(reverse("two_factor_recovery_codes"))
    new = re.findall(r"<li><code>([a-z0-9]+)</code></li>", page.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    client.logout()
    sign_in(client, admin_user)
    assert client.post(reverse("two_factor_verify"), {"code": old[1]}).status_code == 400
    too_soon = client.post(reverse("two_factor_verify"), {"code": new[1]})
    assert "wait a few seconds" in too_soon.content.decode()  # django-otp's backoff
    with time_machine.travel(timezone.now() + timedelta(seconds=3)):
        assert client.post(reverse("two_factor_verify"), {"code": new[1]}).status_code == 302
    assert AuditEvent.objects.filter(action="user.recovery_codes_regenerated").count() == 1


def test_a_next_elsewhere_is_ignored(client, required, admin_user):
    sign_in(client, admin_user)
    set_up(client, admin_user)
    client.logout()
    sign_in(client, admin_user)
    codes_page = client.post(reverse("two_factor_recovery_codes"))
    assert codes_page.status_code == 302  # not verified yet: sent to verify first
    device = TOTPDevice.objects.get(user=admin_user, confirmed=True)
    later = timezone.now() + timedelta(minutes=2)
    with time_machine.travel(later):
        response = client.post(
            reverse("two_factor_verify") + "?next=https://evil.example/",
            {"code": code_for(device, later)},
        )
    assert response["Location"] == "/"
