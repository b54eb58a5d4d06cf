"""Signing in, and throttling repeated failures (django-axes)."""

from django.urls import reverse

from tests.factories import UserFactory


def test_sign_in_lands_on_home(client, db):
    UserFactory(username="mia", password="correct-horse-battery")
    response = client.post(
        reverse("login"), {"username": "mia", "password": "correct-horse-battery"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Your connections" in response.content.decode()


def test_wrong_password_says_so(client, db):
    UserFactory(username="mia", password="correct-horse-battery")
    response = client.post(reverse("login"), {"username": "mia", "password": "wrong"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, db, settings):
    UserFactory(username="mia", password="correct-horse-battery")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "mia", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "mia", "password": "correct-horse-battery"}
    )
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_every_response_carries_a_request_id(client, db):
    response = client.get(reverse("login"))
    assert response["X-Request-ID"].startswith("pb_")
    echoed = client.get(reverse("login"), headers={"X-Request-ID": "req_abc123"})
    assert echoed["X-Request-ID"] == "req_abc123"


def test_a_100000_character_user_name_is_a_failed_sign_in_not_an_error(client, db):
    response = client.post(reverse("login"), {"username": "m" * 100_000, "password": "wrong"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()
