"""Phone sign-in with one-time codes."""

import re

from rest_framework import serializers

from commerce.models import MessageLanguage
from commerce.phones import normalize_phone


class PhoneField(serializers.CharField):
    def to_internal_value(self, data: object) -> str:
        raw = super().to_internal_value(data)
        try:
            return normalize_phone(raw)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class OtpRequestSerializer(serializers.Serializer):
    phone = PhoneField(max_length=32)


class OtpSentSerializer(serializers.Serializer):
    phone = serializers.CharField()
    expires_at = serializers.DateTimeField()


class OtpVerifySerializer(serializers.Serializer):
    phone = PhoneField(max_length=32)
    code = serializers.RegexField(
        re.compile(r"^[0-9]{6}$"), error_messages={"invalid": "The code is 6 digits."}
    )
    language = serializers.ChoiceField(
        choices=MessageLanguage.choices,
        required=False,
        help_text="The language of the shop's SMS and emails to this account (en or zh-hant).",
    )


class OtpLoginSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expiry = serializers.DateTimeField(allow_null=True, help_text="When the token stops working.")
    user_id = serializers.IntegerField()
    created = serializers.BooleanField(help_text="True when this sign-in created the account.")
