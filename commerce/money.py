"""Money in minor units: ISO 4217 exponents and Decimal <-> integer conversion."""

from decimal import Decimal

# ISO 4217 currencies whose minor unit is not the usual 1/100.
_ZERO_DECIMAL = frozenset(
    {
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
        "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
    }
)  # fmt: skip
_THREE_DECIMAL = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


def currency_exponent(currency: str) -> int:
    """Return the number of decimal places ISO 4217 gives `currency`."""
    code = currency.upper()
    if code in _ZERO_DECIMAL:
        return 0
    if code in _THREE_DECIMAL:
        return 3
    return 2


def to_minor(amount: Decimal, currency: str) -> int:
    """Convert a major-unit amount to integer minor units, refusing sub-unit fractions."""
    minor = Decimal(amount).scaleb(currency_exponent(currency))
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} has more decimal places than {currency.upper()} allows.")
    return int(minor)


def from_minor(minor: int, currency: str) -> Decimal:
    """Convert integer minor units back to a major-unit Decimal with the currency's places."""
    exponent = currency_exponent(currency)
    return Decimal(minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def format_amount(minor: int, currency: str) -> str:
    """Render minor units as the API's decimal string, e.g. 1250 TWD -> "12.50"."""
    places = max(2, currency_exponent(currency))
    return f"{from_minor(minor, currency):.{places}f}"
