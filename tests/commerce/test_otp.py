"""Phone sign-in: codes by SMS (rate limited, hashed, expiring), verified for an API token."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from commerce.models import CustomerProfile, OtpChallenge
from jobs.models import ProcessingJob
from notifications.models import Notification
from notifications.sealing import unseal

pytestmark = pytest.mark.django_db

SEND = "/api/v1/auth/otp/"
VERIFY = "/api/v1/auth/otp/verify/"
PHONE = "+886912345678"


def _send(client, phone: str = PHONE, ip: str = "203.0.113.7"):
    return client.post(SEND, {"phone": phone}, format="json", REMOTE_ADDR=ip)


def _sent_code(phone: str = PHONE) -> str:
    sms = Notification.objects.filter(channel="sms", recipient=phone).order_by("-pk").first()
    return unseal(sms.context)["code"]


def test_code_is_texted_urgently_and_stored_only_as_a_hash(api_client):
    response = _send(api_client, phone="+886 912-345-678")

    assert response.status_code == 202, response.data
    assert response.data["phone"] == PHONE
    sms = Notification.objects.get(channel="sms")
    assert sms.template == "commerce/otp_code"
    assert sms.urgent
    assert sms.job.queue == "high_priority"
    code = unseal(sms.context)["code"]
    assert len(code) == 6 and code.isdigit()
    challenge = OtpChallenge.objects.get()
    assert code not in challenge.code_hash


def test_right_code_gives_a_token_for_a_new_account(api_client):
    _send(api_client)

    response = api_client.post(VERIFY, {"phone": PHONE, "code": _sent_code()}, format="json")

    assert response.status_code == 200, response.data
    assert response.data["created"] is True
    profile = CustomerProfile.objects.get(phone=PHONE)
    assert profile.user.pk == response.data["user_id"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.data['token']}")
    assert api_client.get("/api/v1/orders/").status_code == 200


def test_a_known_phone_signs_into_the_same_account(api_client, user):
    CustomerProfile.objects.create(user=user, phone=PHONE)
    _send(api_client)

    response = api_client.post(VERIFY, {"phone": PHONE, "code": _sent_code()}, format="json")

    assert response.data["user_id"] == user.pk
    assert response.data["created"] is False
    assert get_user_model().objects.count() == 1


def test_a_code_works_once(api_client):
    _send(api_client)
    code = _sent_code()

    first = api_client.post(VERIFY, {"phone": PHONE, "code": code}, format="json")
    second = api_client.post(VERIFY, {"phone": PHONE, "code": code}, format="json")

    assert first.status_code == 200
    assert second.status_code == 400


def test_wrong_codes_count_down_and_then_the_code_is_dead(api_client, settings):
    settings.OTP_MAX_ATTEMPTS = 3
    _send(api_client)
    code = _sent_code()
    wrong = "000000" if code != "000000" else "111111"

    answers = [
        api_client.post(VERIFY, {"phone": PHONE, "code": wrong}, format="json") for _ in range(3)
    ]
    right_too_late = api_client.post(VERIFY, {"phone": PHONE, "code": code}, format="json")

    assert [a.status_code for a in answers] == [400, 400, 400]
    assert "2 attempt(s) left" in answers[0].data["detail"]
    assert "last attempt" in answers[2].data["detail"]
    assert right_too_late.status_code == 400
    assert "request a new one" in right_too_late.data["detail"]


def test_expired_code_is_refused(api_client):
    _send(api_client)
    OtpChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = api_client.post(VERIFY, {"phone": PHONE, "code": _sent_code()}, format="json")

    assert response.status_code == 400
    assert "expired" in response.data["detail"]


def test_a_new_code_replaces_the_old_one(api_client):
    _send(api_client)
    old = _sent_code()
    OtpChallenge.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    _send(api_client)
    new = _sent_code()

    if old != new:
        stale = api_client.post(VERIFY, {"phone": PHONE, "code": old}, format="json")
        assert stale.status_code == 400
    assert api_client.post(VERIFY, {"phone": PHONE, "code": new}, format="json").status_code == 200


def test_one_code_per_phone_per_minute(api_client):
    first = _send(api_client)
    second = _send(api_client, ip="198.51.100.1")

    assert first.status_code == 202
    assert second.status_code == 429
    assert "seconds" in second.data["detail"]
    assert Notification.objects.filter(channel="sms").count() == 1


def test_five_codes_per_phone_per_hour(api_client):
    for minutes_ago in (50, 40, 30, 20, 10):
        OtpChallenge.objects.create(
            phone=PHONE,
            code_hash="x",
            created_at=timezone.now() - timedelta(minutes=minutes_ago),
            expires_at=timezone.now(),
        )

    response = _send(api_client)

    assert response.status_code == 429


def test_one_address_cannot_spray_many_phones(api_client):
    answers = [_send(api_client, phone=f"+8869123456{n:02d}") for n in range(6)]

    assert [a.status_code for a in answers] == [202] * 5 + [429]


@pytest.mark.parametrize("phone", ["12345", "0912345678", "+0123456789", "phone", ""])
def test_phone_must_be_in_international_form(api_client, phone):
    response = _send(api_client, phone=phone)

    assert response.status_code == 400
    assert not ProcessingJob.objects.exists()


def test_code_must_be_six_digits(api_client):
    response = api_client.post(VERIFY, {"phone": PHONE, "code": "12ab"}, format="json")

    assert response.status_code == 400
    assert response.data["detail"] == "code: The code is 6 digits."


def test_otp_sign_in_issues_an_expiring_hashed_token(api_client):
    from knox.models import AuthToken

    _send(api_client)

    response = api_client.post(VERIFY, {"phone": PHONE, "code": _sent_code()}, format="json")

    assert response.data["expiry"] is not None
    stored = AuthToken.objects.get(user_id=response.data["user_id"])
    assert response.data["token"] not in (stored.digest, stored.token_key)


def test_wrong_codes_lock_out_the_client_after_ten(api_client):
    for n in range(10):
        api_client.post(VERIFY, {"phone": f"+88691234{n:04d}", "code": "000000"}, format="json")

    response = api_client.post(VERIFY, {"phone": PHONE, "code": "123456"}, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "login_locked"


def test_signing_in_by_phone_can_choose_the_language_of_the_shops_messages(api_client):
    _send(api_client)

    response = api_client.post(
        VERIFY, {"phone": PHONE, "code": _sent_code(), "language": "zh-hant"}, format="json"
    )
    refused = api_client.post(VERIFY, {"phone": PHONE, "code": "123456", "language": "fr"})

    assert response.status_code == 200, response.data
    assert CustomerProfile.objects.get(phone=PHONE).language == "zh-hant"
    assert refused.status_code == 400
    assert "language" in refused.data["errors"]
