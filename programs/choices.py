"""Choices for programs and workstreams."""

import zoneinfo
from functools import cache

from django.db import models


class ProgramStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    CLOSED = "closed", "Closed"


class WorkstreamStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    CLOSED = "closed", "Closed"


# ISO 4217 codes a program is likely to budget in; the validator accepts only these.
CURRENCIES = [
    ("AED", "UAE dirham"), ("ARS", "Argentine peso"), ("AUD", "Australian dollar"),
    ("BRL", "Brazilian real"), ("CAD", "Canadian dollar"), ("CHF", "Swiss franc"),
    ("CLP", "Chilean peso"), ("CNY", "Chinese yuan"), ("COP", "Colombian peso"),
    ("CZK", "Czech koruna"), ("DKK", "Danish krone"), ("EGP", "Egyptian pound"),
    ("EUR", "Euro"), ("GBP", "Pound sterling"), ("HKD", "Hong Kong dollar"),
    ("HUF", "Hungarian forint"), ("IDR", "Indonesian rupiah"), ("ILS", "Israeli new shekel"),
    ("INR", "Indian rupee"), ("JPY", "Japanese yen"), ("KES", "Kenyan shilling"),
    ("KRW", "South Korean won"), ("MXN", "Mexican peso"), ("MYR", "Malaysian ringgit"),
    ("NGN", "Nigerian naira"), ("NOK", "Norwegian krone"), ("NZD", "New Zealand dollar"),
    ("PHP", "Philippine peso"), ("PLN", "Polish złoty"), ("QAR", "Qatari riyal"),
    ("RON", "Romanian leu"), ("SAR", "Saudi riyal"), ("SEK", "Swedish krona"),
    ("SGD", "Singapore dollar"), ("THB", "Thai baht"), ("TRY", "Turkish lira"),
    ("TWD", "New Taiwan dollar"), ("UAH", "Ukrainian hryvnia"), ("USD", "US dollar"),
    ("VND", "Vietnamese dong"), ("ZAR", "South African rand"),
]  # fmt: skip


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [(z, z.replace("_", " ")) for z in zones]
