"""Small checks shared by models, forms and serializers."""

import re
import zoneinfo

from django.core.exceptions import ValidationError

from .choices import CURRENCIES

PROGRAM_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]{1,11}$")
_CURRENCY_CODES = {code for code, _ in CURRENCIES}


def validate_program_code(value: str) -> None:
    if not PROGRAM_CODE_RE.match(value or ""):
        raise ValidationError(
            "Use 2 to 12 capital letters or digits, starting with a letter (e.g. ERP or CRM2)."
        )


def validate_currency(value: str) -> None:
    if value not in _CURRENCY_CODES:
        raise ValidationError(f"{value!r} is not a supported ISO 4217 currency code.")


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/London).") from exc
