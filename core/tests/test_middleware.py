"""Request-level guards: NUL characters never reach PostgreSQL; the request id is echoed."""

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/programs/?q=%00", "/programs/ERP/workstreams/?status=a%00b", "/programs/ERP%00/"],
)
def test_nul_in_a_page_address_is_a_clear_400(path, manager):
    client = Client()
    client.force_login(manager)

    response = client.get(path)

    assert response.status_code == 400
    assert b"NUL character" in response.content


@pytest.mark.django_db
def test_nul_in_an_api_address_is_a_json_400(manager):
    client = Client()
    client.force_login(manager)

    response = client.get("/api/v1/programs/ERP/workstreams/%00/")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The address contains a NUL character, which is never valid here."
    }


@pytest.mark.django_db
def test_request_id_is_taken_from_the_header_or_made(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abc12345-trace"})
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})

    assert given["X-Request-ID"] == "abc12345-trace"
    assert made["X-Request-ID"] != "bad id with spaces"
    assert len(made["X-Request-ID"]) == 32
