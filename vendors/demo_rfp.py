"""Demo RFPs for the ERP program (called by vendors/demo.py after the other vendor areas).

1. "Integration platform (iPaaS)": five weighted criteria, responses from Tailspin Integration,
   Adatum Systems and Northwind Consulting, three evaluators (Priya Raman, Kenji Tanaka, Fatima
   Khan) who all submitted, and Tailspin selected with its rationale in the decision log.
   Weighted totals: Tailspin 80.00 %, Northwind 72.67 % (evaluators 33 points apart),
   Adatum 71.67 %.
2. "Regression test automation": in evaluation; Priya has submitted everything, Kenji has
   submitted one response and left another as a draft, Marcus Lee has not started.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from programs.models import Program, ProgramMembership

from .services import rfp as services

IPAAS_CRITERIA = [
    ("Functional fit", 30, "Mapping, orchestration, monitoring and error handling out of the box."),
    ("Integration with SAP S/4HANA", 25, "Certified adapters (IDoc, OData, RFC), event mesh."),
    ("Total cost of ownership", 20, "Licences, implementation and five years of run cost."),
    ("Vendor viability", 15, "Financial strength, roadmap, references in manufacturing."),
    ("Support model", 10, "Follow-the-sun support, SLAs, named engineers during hypercare."),
]
IPAAS_RESPONSES = [
    # vendor slug, received, price, summary
    ("tailspin", (2026, 3, 4), "486000.00",
     "Managed iPaaS with 38 of our 41 interfaces covered by prebuilt S/4HANA adapters; "
     "fixed-price build of the interface backlog, 24x7 support from Lisbon and Pune."),
    ("adatum", (2026, 3, 5), "412000.00",
     "Open-source based integration runtime hosted in our Azure tenant; adapters built per "
     "interface; lowest licence cost, support business hours CET."),
    ("northwind", (2026, 3, 6), "529000.00",
     "Extension of the systems-integration SOW: SAP Integration Suite delivered by the "
     "Northwind integration practice, including the event mesh and monitoring."),
]  # fmt: skip
# evaluator e-mail -> vendor slug -> scores in criterion order (scale 0-5)
IPAAS_SCORES = {
    "pm@example.com": {
        "tailspin": (5, 4, 3, 4, 4), "adatum": (4, 3, 5, 3, 3), "northwind": (4, 4, 2, 5, 4),
    },
    "k.tanaka@example.com": {
        "tailspin": (4, 5, 3, 4, 4), "adatum": (3, 3, 4, 3, 3), "northwind": (5, 5, 2, 5, 5),
    },
    "finance@example.com": {
        "tailspin": (4, 4, 4, 3, 4), "adatum": (4, 3, 5, 4, 3), "northwind": (3, 3, 1, 4, 3),
    },
}  # fmt: skip
IPAAS_COMMENTS = {
    ("k.tanaka@example.com", "tailspin", 1): "Prebuilt IDoc and OData adapters for 38 of 41.",
    ("k.tanaka@example.com", "adatum", 1): "Every SAP adapter is custom work.",
    ("k.tanaka@example.com", "northwind", 0): "SAP's own suite: the best functional fit.",
    ("finance@example.com", "northwind", 2): "Highest price and day rates above the MSA.",
    ("finance@example.com", "adatum", 2): "Lowest five-year cost by a clear margin.",
    ("pm@example.com", "tailspin", 0): "Strong monitoring and replay of failed messages.",
}
IPAAS_RATIONALE = (
    "Tailspin ranks first on the weighted total (80.00%) and the panel agrees on it (5 points "
    "apart). Its prebuilt S/4HANA adapters cover 38 of our 41 interfaces, which protects the "
    "integration test window. Northwind came second but the evaluators were 33 points apart "
    "and it is the most expensive offer; Adatum is the cheapest but every SAP adapter would be "
    "custom work."
)
TEST_CRITERIA = [
    ("Coverage of Fiori and SAP GUI", 35, "Record and replay across both front ends."),
    ("Ease of maintenance", 25, "Self-healing locators, test data management."),
    ("Licence and run cost", 25, "Three-year subscription for 12 users."),
    ("Reference customers", 15, "S/4HANA programs of similar size."),
]
TEST_RESPONSES = [
    ("contoso", (2026, 4, 20), "96000.00", "Tricentis-based service with a test factory."),
    ("adatum", (2026, 4, 21), "74500.00", "Open-source framework, scripts maintained by Adatum."),
    ("northwind", (2026, 4, 22), "118000.00", "Test automation as part of the SI contract."),
]


def _user(program: Program, email: str):
    membership = (
        ProgramMembership.objects.filter(program=program, user__email=email)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def _rfp(program, manager, *, title, description, criteria, issued, due, evaluators, responses,
         vendors):  # fmt: skip
    rfp = services.rfp_create(
        actor=manager,
        program=program,
        title=title,
        description=description,
        owner=manager,
        issued_on=dt.date(*issued),
        responses_due=dt.date(*due),
        scale_max=5,
    )
    for name, weight, text in criteria:
        services.criterion_add(
            actor=manager, rfp=rfp, name=name, weight=Decimal(weight), description=text
        )
    for user in evaluators:
        services.evaluator_add(actor=manager, rfp=rfp, user=user)
    rfp = services.rfp_transition(actor=manager, rfp=rfp, to="open")
    by_vendor = {}
    for slug, received, price, summary in responses:
        by_vendor[slug] = services.response_add(
            actor=manager,
            rfp=rfp,
            vendor=vendors[slug],
            received_on=dt.date(*received),
            price=Decimal(price),
            summary=summary,
        )
    rfp = services.rfp_transition(actor=manager, rfp=rfp, to="evaluation")
    return rfp, by_vendor, list(rfp.criteria.order_by("position"))


def _score(user, response, criteria, values, comments=None, submit=True) -> None:
    services.evaluation_save_scores(
        actor=user,
        response=response,
        scores={c.pk: v for c, v in zip(criteria, values, strict=True)},
        comments={criteria[i].pk: text for i, text in (comments or {}).items()},
    )
    if submit:
        services.evaluation_submit(actor=user, response=response)


def build(program: Program, ctx: dict) -> dict:
    manager = ctx["manager"]
    vendors = ctx["vendors"]
    people = {
        email: _user(program, email)
        for email in (
            "pm@example.com", "k.tanaka@example.com", "finance@example.com",
            "coordinator@example.com",
        )
    }  # fmt: skip
    if any(u is None for u in people.values()):
        return {}
    panel = [
        people["pm@example.com"],
        people["k.tanaka@example.com"],
        people["finance@example.com"],
    ]
    ipaas, responses, criteria = _rfp(
        program,
        manager,
        title="Integration platform (iPaaS)",
        description=(
            "A managed integration platform for the 41 interfaces between S/4HANA, the MES, the "
            "banks and the e-commerce platform, with monitoring and hypercare support."
        ),
        criteria=IPAAS_CRITERIA,
        issued=(2026, 2, 2),
        due=(2026, 3, 6),
        evaluators=panel,
        responses=IPAAS_RESPONSES,
        vendors=vendors,
    )
    for email, by_vendor in IPAAS_SCORES.items():
        for slug, values in by_vendor.items():
            comments = {
                i: text for (e, v, i), text in IPAAS_COMMENTS.items() if (e, v) == (email, slug)
            }
            _score(people[email], responses[slug], criteria, values, comments)
    ipaas = services.rfp_select(
        actor=manager,
        rfp=ipaas,
        response=responses["tailspin"],
        rationale=IPAAS_RATIONALE,
        forum="Steering committee, 18 Mar 2026",
    )

    testing, t_responses, t_criteria = _rfp(
        program,
        manager,
        title="Regression test automation",
        description="Automated regression tests for the finance and supply-chain processes, "
        "run before every release and each mock cut-over.",
        criteria=TEST_CRITERIA,
        issued=(2026, 4, 6),
        due=(2026, 4, 24),
        evaluators=[people["pm@example.com"], people["k.tanaka@example.com"],
                    people["coordinator@example.com"]],
        responses=TEST_RESPONSES,
        vendors=vendors,
    )  # fmt: skip
    pm, kenji = people["pm@example.com"], people["k.tanaka@example.com"]
    _score(pm, t_responses["contoso"], t_criteria, (4, 4, 3, 5))
    _score(pm, t_responses["adatum"], t_criteria, (3, 2, 5, 2))
    _score(pm, t_responses["northwind"], t_criteria, (4, 3, 2, 4))
    _score(kenji, t_responses["contoso"], t_criteria, (5, 4, 3, 4))
    _score(kenji, t_responses["adatum"], t_criteria, (3, 3, None, None), submit=False)
    ctx["rfps"] = {"ipaas": ipaas, "testing": testing}
    return {"rfps": 2, "rfp_decisions": 1}
