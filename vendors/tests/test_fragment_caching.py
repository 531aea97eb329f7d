"""Cached page fragments of the vendors pages (contract list filter bar and table, scorecard
rows, one vendor's scorecard body) never show a stale value: with a real fragments cache, a
changed contract, amendment, vendor or measurement shows on the next page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from vendors.services import contracts as contract_services
from vendors.services import performance as performance_services
from vendors.services import vendors as vendor_services
from vendors.tests.contract_factories import amend
from vendors.tests.factories import fresh, make_contract, make_vendor
from vendors.tests.performance_factories import make_sla, measure

pytestmark = pytest.mark.django_db


@pytest.fixture
def fragments(settings):
    """The production fragments cache (tests otherwise use a dummy one)."""
    settings.CACHES = {
        **settings.CACHES,
        "fragments": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "vendors-fragment-tests",
        },
    }
    caches["fragments"].clear()
    yield caches["fragments"]
    caches["fragments"].clear()


def url(name, program, **kwargs):
    return reverse(f"vendors:{name}", kwargs={"code": program.code, **kwargs})


def page(user, path) -> str:
    c = Client()
    c.force_login(user)
    response = c.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_contract_rows_show_a_changed_title_amendment_and_vendor_name(fragments, program, manager):
    vendor = make_vendor(program, name="Northwind Consulting")
    contract = make_contract(program, vendor, title="Finance build")
    listing = url("contract_list", program)
    first = page(manager, listing)
    assert "Finance build" in first and "Finance build" in page(manager, listing)
    assert len(fragments._cache) >= 2  # the filter bar and the table were stored

    contract_services.contract_update(
        actor=manager, contract=contract, expected_version=contract.version, title="Finance run"
    )
    body = page(manager, listing)
    assert "Finance run" in body and "Finance build" not in body

    amend(fresh(contract), manager, "5000.00")
    body = page(manager, listing)
    assert "1 amendment<" in body
    assert "125,000.00" in body  # 120,000.00 + 5,000.00

    vendor_services.vendor_update(
        actor=manager, vendor=vendor, expected_version=fresh(vendor).version, name="Northwind AG"
    )
    body = page(manager, listing)
    assert "Northwind AG</td>" in body  # the row
    assert f'<option value="{vendor.pk}">{vendor.key} Northwind AG</option>' in body  # the filter
    assert "Northwind Consulting" not in body


def test_contract_filter_bar_keeps_the_chosen_values(fragments, program, manager):
    vendor = make_vendor(program, name="Northwind Consulting")
    make_contract(program, vendor, title="Finance build")
    listing = url("contract_list", program)
    assert f'<option value="{vendor.pk}">' in page(manager, listing)
    chosen = page(manager, f"{listing}?vendor={vendor.pk}&sort=-remaining")
    assert f'<option value="{vendor.pk}" selected>' in chosen
    assert '<option value="-remaining" selected>' in chosen
    assert f'<option value="{vendor.pk}">' in page(manager, listing)  # not the cached choice


def test_scorecard_rows_and_body_show_a_corrected_measurement(fragments, program, manager):
    alpha = make_vendor(program, name="Alpha Hosting")
    sla = make_sla(program, make_contract(program, alpha, title="Alpha hosting order"))
    recorded = measure(sla, dt.date(2026, 3, 1), "98.1")
    listing = url("scorecard_list", program) + "?period=2026-03"
    card = url("vendor_scorecard", program, key=alpha.key) + "?period=2026-03"
    red = 'perf-value perf-red">0<span class="perf-unit">%'
    green = 'perf-value perf-green">100<span class="perf-unit">%'
    assert red in page(manager, listing) and red in page(manager, card)
    assert page(manager, listing).count(red) == 2  # the table and the phone layout

    performance_services.measurement_update(
        actor=manager, measurement=recorded, expected_version=recorded.version,
        value=Decimal("99.9"),
    )  # fmt: skip
    body = page(manager, listing)
    assert red not in body and body.count(green) == 2
    body = page(manager, card)
    assert red not in body and green in body

    vendor_services.vendor_update(
        actor=manager, vendor=alpha, expected_version=fresh(alpha).version, name="Alpha Cloud"
    )
    assert "Alpha Cloud" in page(manager, listing)


@pytest.mark.parametrize("sort", ["", "-remaining", "vendor", "end", "-burn"])
def test_contract_page_rows_are_the_sliced_list(program, manager, sort):
    from vendors.filtersets_contracts import ContractFilterSet
    from vendors.selectors import contracts as selectors

    for n, name in enumerate(("Alpha", "Beta", "Gamma")):
        vendor = make_vendor(program, name=f"{name} Services")
        for m in range(2):
            contract = make_contract(program, vendor, title=f"{name} SOW {m}")
            amend(contract, manager, f"{(n + 1) * (m + 1) * 100}.00")
    rows = ContractFilterSet(
        {"sort": sort} if sort else None,
        queryset=selectors.contract_list(program=program),
        program=program,
    ).qs
    keys = [r["key"] for r in selectors.contract_rows(rows)]
    assert len(keys) == 6
    for first, last in ((1, 6), (2, 4), (5, 6), (6, 6)):
        page = selectors.contract_page_rows(rows, first, last)
        assert [r.key for r in page] == keys[first - 1 : last]
        assert all(r.remaining == r.current_value - r.invoiced for r in page)
    assert selectors.contract_page_rows(rows, 0, 0) == []
