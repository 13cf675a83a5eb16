"""One-time codes by SMS: send (rate limited), verify (attempt limited), sign in.

Signing in issues an API token like the password sign-in does (accounts.services).

Codes are kept only as an HMAC keyed with SECRET_KEY. Limits count the codes sent per
phone and per client IP in sliding windows (settings.OTP_SEND_LIMITS_PER_*), read from
the database so they hold across web processes.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.services import auth_token_issue
from commerce.errors import OtpInvalid, OtpRateLimited
from commerce.models import CustomerProfile, OtpChallenge
from commerce.services import notices

logger = logging.getLogger(__name__)

CODE_DIGITS = 6


@dataclass(frozen=True)
class OtpLogin:
    user: AbstractBaseUser
    token: str
    expiry: datetime | None
    created: bool


def _hash(phone: str, code: str) -> str:
    return salted_hmac("commerce.otp", f"{phone}:{code}", algorithm="sha256").hexdigest()


def _lock_key(key: str) -> None:
    """Serialize sends for one phone on PostgreSQL (SQLite already runs one writer at a time)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def _check_limits(field: str, value: str, limits: list[tuple[int, int]], what: str) -> None:
    now = timezone.now()
    for seconds, allowed in limits:
        window_start = now - timedelta(seconds=seconds)
        sent = list(
            OtpChallenge.objects.filter(**{field: value}, created_at__gt=window_start)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:allowed]
        )
        if len(sent) >= allowed:
            # A slot frees up when the oldest of the last `allowed` codes leaves the window.
            wait = max(1, int((sent[-1] - window_start).total_seconds()) + 1)
            raise OtpRateLimited(
                f"Too many codes requested for this {what}; try again in {wait} seconds.",
                wait_seconds=wait,
            )


@transaction.atomic
def otp_send(*, phone: str, ip: str | None) -> OtpChallenge:
    """Text a fresh 6-digit code to `phone`; earlier unused codes stop working."""
    _lock_key(f"otp:{phone}")
    _check_limits("phone", phone, settings.OTP_SEND_LIMITS_PER_PHONE, "phone number")
    if ip:
        _check_limits("requested_ip", ip, settings.OTP_SEND_LIMITS_PER_IP, "network address")
    now = timezone.now()
    OtpChallenge.objects.filter(phone=phone, consumed_at__isnull=True).update(consumed_at=now)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    challenge = OtpChallenge.objects.create(
        phone=phone,
        code_hash=_hash(phone, code),
        requested_ip=ip,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
    )
    notices.otp_code_send(phone=phone, code=code, ttl_seconds=settings.OTP_TTL_SECONDS)
    logger.info("otp sent challenge_id=%s", challenge.pk)
    return challenge


def otp_verify(*, phone: str, code: str, language: str = "") -> OtpLogin:
    """Check a code; on success return an API token for the phone's user (created if new).

    A `language` given is kept on the profile for the shop's messages.
    """
    with transaction.atomic():
        challenge = (
            OtpChallenge.objects.select_for_update()
            .filter(phone=phone, consumed_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("-created_at")
            .first()
        )
        if challenge is None:
            error = "No valid code for this number: it expired, was used up or never sent."
        elif challenge.attempts >= settings.OTP_MAX_ATTEMPTS:
            error = "Too many wrong codes; request a new one."
        else:
            challenge.attempts += 1
            matched = constant_time_compare(challenge.code_hash, _hash(phone, code))
            if matched:
                challenge.consumed_at = timezone.now()
            challenge.save(update_fields=["attempts", "consumed_at"])
            left = settings.OTP_MAX_ATTEMPTS - challenge.attempts
            error = "" if matched else f"Wrong code; {left} attempt(s) left."
            if not matched and not left:
                error = "Wrong code, and that was the last attempt; request a new one."
    # Raised outside the block so the counted attempt is committed.
    if error:
        raise OtpInvalid(error)
    return _login(phone, language)


@transaction.atomic
def _login(phone: str, language: str = "") -> OtpLogin:
    now = timezone.now()
    profile = CustomerProfile.objects.select_related("user").filter(phone=phone).first()
    created = profile is None
    if created:
        try:
            with transaction.atomic():
                user = get_user_model().objects.create_user(username=_username(phone))
                profile = CustomerProfile.objects.create(
                    user=user, phone=phone, phone_verified_at=now
                )
        except IntegrityError:  # the same phone verified twice at once: use the winner
            created = False
            profile = CustomerProfile.objects.select_related("user").get(phone=phone)
    else:
        CustomerProfile.objects.filter(pk=profile.pk).update(phone_verified_at=now)
    if language:
        CustomerProfile.objects.filter(pk=profile.pk).update(language=language)
    issued = auth_token_issue(user=profile.user)
    logger.info("otp login user_id=%s created=%s", profile.user.pk, created)
    return OtpLogin(profile.user, issued.token, issued.expiry, created)


def _username(phone: str) -> str:
    base = f"phone{phone.lstrip('+')}"
    model = get_user_model()
    if not model.objects.filter(username=base).exists():
        return base
    return f"{base}-{secrets.token_hex(3)}"


def otp_challenges_purge(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete codes created before the cutoff (rate limits look back at most an hour)."""
    deleted, _ = OtpChallenge.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
