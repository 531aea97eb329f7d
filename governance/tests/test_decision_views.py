"""Decision log pages through the client: the list, a decision's page, recording with options
and links (keeping input), editing, taking a proposal, the supersede flow and deleting."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from governance.models import Decision
from governance.tests.factories_changes import make_cast, make_cr, make_decision
from programs.tests.factories import ProgramFactory
from schedules.tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db):
    return make_cast()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, **kwargs) -> str:
    return reverse(f"governance:{name}", kwargs={"code": "ERP", **kwargs})


def text(response) -> str:
    return html.unescape(response.content.decode())


def form_data(**overrides) -> dict:
    data = {
        "title": "Two go-live waves",
        "status": "decided",
        "statement": "Finance first, then the plants.",
        "context": "",
        "rationale": "",
        "decided_by": "",
        "forum": "",
        "decided_on": "",
        "needed_by": "",
        "links": "",
        "options-TOTAL_FORMS": "3",
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "12",
        "options-0-option": "Big bang",
        "options-0-pros": "One cut-over",
        "options-0-cons": "All plants at risk",
        "options-1-option": "Two waves",
        "options-1-pros": "",
        "options-1-cons": "",
        "options-2-option": "",
        "options-2-pros": "",
        "options-2-cons": "",
    }
    data.update(overrides)
    return data


def test_list_counts_statuses_and_filters(cast):
    old = make_decision(cast.program, cast.pm, title="Seven years")
    make_decision(cast.program, cast.pm, title="Two years", supersedes=old, supersedes_version=1)
    make_decision(
        cast.program, cast.pm, title="Keep February?", status="proposed", decided_by=cast.sponsor
    )
    client = client_for(cast.viewer)

    page = client.get(url("decision_list"))

    assert [(v, n) for v, _l, n, _c in page.context["tabs"]] == [
        ("proposed", 1), ("decided", 1), ("superseded", 1),
    ]  # fmt: skip
    assert page.context["total"] == 3
    assert [d.title for d in page.context["page_obj"]] == [
        "Keep February?",
        "Two years",
        "Seven years",
    ]
    assert [
        d.key for d in client.get(url("decision_list") + "?status=superseded").context["page_obj"]
    ] == ["DEC-1"]
    assert [
        d.key for d in client.get(url("decision_list") + "?q=years&sort=key").context["page_obj"]
    ] == ["DEC-1", "DEC-2"]
    by = client.get(url("decision_list") + f"?decided_by={cast.sponsor.pk}").context["page_obj"]
    assert [d.key for d in by] == ["DEC-3"]
    assert "by DEC-2" in re.sub(r"<[^>]+>", "", text(page))
    assert client_for(cast.vendor).get(url("decision_list")).status_code == 403


def test_list_queries_do_not_grow_with_decisions(cast, count_queries):
    item = ItemFactory(program=cast.program, name="Build")
    make_decision(cast.program, cast.pm, links=[item])
    client = client_for(cast.pm)
    client.get(url("decision_list"))
    with count_queries() as one:
        client.get(url("decision_list"))
    make_decision(cast.program, cast.pm, links=[item, make_cr(cast.program, cast.pm)])
    make_decision(cast.program, cast.pm, status="proposed")
    with count_queries() as three:
        response = client.get(url("decision_list"))
    assert len(response.context["page_obj"]) == 3
    assert [d.link_count for d in response.context["page_obj"]] == [0, 2, 1]
    assert len(three.captured_queries) == len(one.captured_queries)


def test_record_with_options_and_links(cast):
    cr = make_cr(cast.program, cast.contributor)
    response = client_for(cast.coordinator).post(
        url("decision_create"),
        form_data(
            links=f"{cr.key.lower()}", decided_by=str(cast.sponsor.pk), decided_on="2026-03-02"
        ),
    )
    decision = Decision.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("decision_detail", key=decision.key)
    assert decision.options == [
        {"option": "Big bang", "pros": "One cut-over", "cons": "All plants at risk"},
        {"option": "Two waves", "pros": "", "cons": ""},
    ]
    assert (decision.decided_by, str(decision.decided_on)) == (cast.sponsor, "2026-03-02")
    page = text(client_for(cast.viewer).get(url("decision_detail", key=decision.key)))
    assert "All plants at risk" in page and cr.title in page


def test_record_errors_keep_everything_typed(cast):
    response = client_for(cast.pm).post(
        url("decision_create"),
        form_data(title="", links="CR-404", **{"options-1-option": "", "options-1-pros": "Cheap"}),
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "title": ["This field is required."],
        "links": ["There is no CR-404 in ERP."],
    }
    assert response.context["formset"].forms[1].errors == {
        "option": ["Name the option these pros and cons belong to."]
    }
    page = text(response)
    assert "Finance first, then the plants." in page and "All plants at risk" in page
    assert Decision.objects.count() == 0


def test_add_an_option_re_renders_with_one_more_row_and_saves_nothing(cast):
    response = client_for(cast.pm).post(url("decision_create"), form_data(add_option="1"))
    assert response.status_code == 200
    assert response.context["formset"].total_form_count() == 4
    assert 'value="Big bang"' in text(response)
    assert Decision.objects.count() == 0


def test_edit_keeps_links_and_refuses_a_superseded_entry(cast):
    item = ItemFactory(program=cast.program, name="Build")
    decision = make_decision(cast.program, cast.pm, links=[item], options=[{"option": "A"}])
    client = client_for(cast.pm)
    form = client.get(url("decision_edit", key=decision.key)).context["form"]
    assert form.initial["links"] == [item.key]
    response = client.post(
        url("decision_edit", key=decision.key),
        form_data(version="1", title="Renamed", links=item.key, **{"options-0-option": "A"}),
    )
    assert response.status_code == 400  # a decided entry keeps its date
    assert response.context["form"].errors == {
        "decided_on": ["A decision needs the date it was taken."]
    }
    response = client.post(
        url("decision_edit", key=decision.key),
        form_data(
            version="1", title="Renamed", links=item.key, decided_on=str(decision.decided_on)
        ),
    )
    assert response.status_code == 302
    decision.refresh_from_db()
    assert (decision.title, decision.version) == ("Renamed", 2)

    replacement = make_decision(cast.program, cast.pm, title="New")
    from governance.services import decisions as services

    services.decision_supersede(
        actor=cast.pm, decision=decision, replacement=replacement, expected_version=2
    )
    page = text(client.get(url("decision_edit", key=decision.key)))
    assert "was superseded by DEC-2; the log keeps it as it was." in page
    refused = client.post(url("decision_edit", key=decision.key), form_data(version="3"))
    assert refused.status_code == 400
    assert "was superseded by DEC-2" in text(refused)


def test_supersede_flow_records_the_replacement_and_marks_the_old_one(cast):
    item = ItemFactory(program=cast.program, name="Archive")
    old = make_decision(cast.program, cast.pm, title="Seven years", links=[item],
                        options=[{"option": "Seven"}, {"option": "Two"}])  # fmt: skip
    client = client_for(cast.pm)
    page = client.get(url("decision_supersede", key=old.key))
    assert page.context["form"].initial["links"] == [item.key]
    assert page.context["form"].initial["title"] == "Seven years"
    assert [f.initial.get("option") for f in page.context["formset"].forms] == [
        "Seven",
        "Two",
        None,
    ]

    response = client.post(
        url("decision_supersede", key=old.key),
        form_data(version="1", title="Two years and an archive", links=item.key),
    )

    new = Decision.objects.get(title="Two years and an archive")
    assert response["Location"] == url("decision_detail", key=new.key)
    old.refresh_from_db()
    assert (old.status, old.superseded_by) == ("superseded", new)
    detail = text(client.get(url("decision_detail", key=old.key)))
    assert "This decision no longer applies: it was superseded by" in detail
    assert "Replaces" in text(client.get(url("decision_detail", key=new.key)))


def test_supersede_with_a_stale_old_version_keeps_the_text(cast):
    old = make_decision(cast.program, cast.pm, title="Seven years")
    response = client_for(cast.pm).post(
        url("decision_supersede", key=old.key), form_data(version="9", title="Replacement")
    )
    assert response.status_code == 400
    assert "Review DEC-1 again before replacing it; your text is kept." in text(response)
    assert 'value="Replacement"' in text(response)
    assert Decision.objects.count() == 1


def test_take_a_proposal_and_refuse_taking_it_twice(cast):
    proposal = make_decision(cast.program, cast.pm, status="proposed")
    client = client_for(cast.pm)
    response = client.post(
        url("decision_decide", key=proposal.key),
        {"version": "1", "decided_by": cast.sponsor.pk, "decided_on": "2026-12-15", "forum": "SC"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by, proposal.forum) == ("decided", cast.sponsor, "SC")
    again = client.post(url("decision_decide", key=proposal.key), {"version": "2"})
    assert again.status_code == 409
    assert "only a proposed decision can be taken" in text(again)


def test_delete_only_proposals(cast):
    proposal = make_decision(cast.program, cast.pm, status="proposed")
    decided = make_decision(cast.program, cast.pm)
    client = client_for(cast.pm)
    assert "the log keeps taken decisions" in text(
        client.get(url("decision_delete", key=decided.key))
    )
    response = client.post(url("decision_delete", key=proposal.key), {"version": "1"})
    assert response["Location"] == url("decision_list")
    assert list(Decision.objects.all()) == [decided]


def test_pages_are_scoped_to_the_program(cast):
    other = ProgramFactory(code="OTH")
    make_decision(other, other.memberships.get().user)
    assert client_for(cast.pm).get(url("decision_detail", key="DEC-1")).status_code == 404
    assert client_for(cast.contributor).get(url("decision_create")).status_code == 403
