"""The demo program's variance CSV, read by independent readers (Python's csv module, and
LibreOffice converting it to XLSX), adds up to the overview's figures and to what the overview
page shows."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from budgets import exports
from budgets.selectors.overview import overview_figures
from core.models import User
from core.templatetags.money import money
from programs.models import Program

from .exports_factories import column_total, parse_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def erp(seeded, db):
    return Program.objects.get(code="ERP")


@pytest.fixture
def demo_csv(erp, client) -> bytes:
    client.force_login(User.objects.get(email="finance@example.com"))
    response = client.get(reverse("budgets:export_csv", kwargs={"code": "ERP"}) + "?bom=1")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_demo_csv_totals_equal_the_overview(erp, demo_csv, client):
    header, rows = parse_csv(demo_csv)
    figures = overview_figures(erp)

    assert header == list(exports.HEADER)
    assert figures.budget > 0
    assert column_total(rows, "Plan") == figures.budget
    assert column_total(rows, "Actual") == figures.actual
    assert column_total(rows, "Outturn") == figures.eac
    assert column_total(rows, "Accrued") == figures.accrued
    page = client.get(reverse("budgets:overview", kwargs={"code": "ERP"})).content.decode()
    for value in (column_total(rows, "Plan"), column_total(rows, "Actual"),
                  column_total(rows, "Outturn")):  # fmt: skip
        assert money(value) in page, f"{money(value)} is not on the overview page"


@pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui)",
)
def test_libreoffice_reads_the_demo_csv_as_numbers(erp, demo_csv, tmp_path):
    source = tmp_path / "variance.csv"
    source.write_bytes(demo_csv)
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir", str(tmp_path),
         str(source)],
        check=True, capture_output=True, timeout=180,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    sheet = openpyxl.load_workbook(tmp_path / "variance.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    plan, actual = header.index("Plan"), header.index("Actual")
    figures = overview_figures(erp)

    assert header == list(exports.HEADER)
    assert all(isinstance(r[plan], int | float) for r in rows[1:])
    assert all(isinstance(r[actual], int | float) for r in rows[1:])
    total_plan = sum(Decimal(str(r[plan])) for r in rows[1:]).quantize(Decimal("0.01"))
    total_actual = sum(Decimal(str(r[actual])) for r in rows[1:]).quantize(Decimal("0.01"))
    assert total_plan == figures.budget
    assert total_actual == figures.actual
