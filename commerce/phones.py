"""Phone numbers in E.164 form."""

import re

_SEPARATORS = re.compile(r"[\s\-().]")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


def normalize_phone(raw: str) -> str:
    """Return `raw` as +<country><number>, or raise ValueError with a fixable message."""
    phone = _SEPARATORS.sub("", raw or "")
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if not _E164.fullmatch(phone):
        raise ValueError(
            "Enter the phone number in international form: + then country code and number, "
            "8 to 15 digits (e.g. +886912345678)."
        )
    return phone
