"""Customers' phone numbers and the one-time codes that verify them."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class MessageLanguage(models.TextChoices):
    ENGLISH = "en", "English"
    TRADITIONAL_CHINESE = "zh-hant", "繁體中文"


class CustomerProfile(models.Model):
    """What commerce knows about a user beyond auth: a phone verified by OTP, a language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_profile"
    )
    phone = models.CharField(max_length=16, unique=True, null=True, blank=True)
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    # The language of the emails and SMS the shop sends (empty: the site's language).
    language = models.CharField(
        max_length=8, choices=MessageLanguage.choices, blank=True, default=""
    )

    def __str__(self) -> str:
        return f"{self.user} {self.phone or ''}".strip()


class OtpChallenge(models.Model):
    """One code sent by SMS; only an HMAC of the code is kept."""

    phone = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=128)
    requested_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["phone", "created_at"], name="otp_phone_created_idx"),
            models.Index(fields=["requested_ip", "created_at"], name="otp_ip_created_idx"),
        ]

    def __str__(self) -> str:
        return f"OTP for {self.phone} at {self.created_at:%Y-%m-%d %H:%M:%S}"
