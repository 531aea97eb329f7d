"""The briefing e-mail: subject, HTML (inline CSS, table layout that reads in Outlook and Gmail)
and a text alternative with the same content, drawn from a snapshot; and the signed unsubscribe
link each recipient gets (it works without logging in)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse

from core.templatetags.money import money

from .snapshot import MilestoneLine, Snapshot

UNSUBSCRIBE_SALT = "reporting.briefing-unsubscribe"
DIMENSIONS = ("schedule", "cost", "scope", "risk", "quality")
LABELS = {
    "schedule": "Schedule", "cost": "Cost", "scope": "Scope", "risk": "Risk",
    "quality": "Quality", "overall": "Overall",
}  # fmt: skip
RAG_LABELS = {"green": "Green", "amber": "Amber", "red": "Red", "grey": "Not rated"}
# the web UI's and the PDFs' palette (reporting/pdf/theme.py): the same red on screen and paper
RAG_COLOURS = {"green": "#2fb344", "amber": "#f59f00", "red": "#d63939", "grey": "#929dab"}
RAG_TEXT = {"green": "#ffffff", "amber": "#1d273b", "red": "#ffffff", "grey": "#ffffff"}
TOP = 5


@dataclass(frozen=True)
class BriefingEmail:
    subject: str
    text: str
    html: str


def pdf_filename(snapshot: Snapshot, which: str) -> str:
    return f"{snapshot.program_code}-{which}-{snapshot.period}.pdf"


# --- unsubscribe tokens --------------------------------------------------------------------------


def unsubscribe_token(recipient) -> str:
    """A signed, URL-safe token naming the recipient row; no expiry (an old e-mail's link must
    still work), unforgeable without SECRET_KEY."""
    return signing.dumps({"r": recipient.pk, "s": recipient.subscription_id}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, int] | None:
    """(recipient id, subscription id), or None for a tampered or malformed token."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(data["r"]), int(data["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_url(recipient) -> str:
    path = reverse("briefings:unsubscribe", kwargs={"token": unsubscribe_token(recipient)})
    return settings.SITE_URL.rstrip("/") + path


# --- content -------------------------------------------------------------------------------------


def _rag(line) -> dict:
    rag = line.rag if line else "grey"
    return {
        "dimension": LABELS.get(line.dimension, line.dimension.title()) if line else "",
        "rag": rag,
        "label": RAG_LABELS.get(rag, rag.title()),
        "colour": RAG_COLOURS.get(rag, RAG_COLOURS["grey"]),
        "ink": RAG_TEXT.get(rag, "#ffffff"),
        "reason": line.reason if line else "Not rated.",
        "overridden": bool(line and line.computed_rag and line.computed_rag != line.rag),
        "computed_label": RAG_LABELS.get(line.computed_rag, "") if line else "",
        "override_reason": line.override_reason if line else "",
    }


def _milestone(line: MilestoneLine) -> dict:
    return {
        "key": line.key,
        "name": line.name,
        "date": line.current,
        "baseline": line.baseline,
        "slip": line.slip_days,
        "workstream": line.workstream,
    }


def _percent(part: Decimal, whole: Decimal) -> str:
    if not whole:
        return "—"
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("1"), ROUND_HALF_EVEN)
    return f"{value} %"


def _budget(snapshot: Snapshot) -> dict | None:
    burn = snapshot.budget
    if not snapshot.has_budget or burn is None:
        return None
    c = burn.currency or snapshot.currency
    return {
        "budget": money(burn.budget, c),
        "actual": money(burn.actual_to_date, c),
        "burn": _percent(burn.actual_to_date, burn.budget),
        "forecast": money(burn.forecast_at_completion, c),
        "variance": money(burn.variance_at_completion, c),
        "overrun": burn.variance_at_completion < 0,
        "cpi": f"{burn.cpi:.2f}" if burn.cpi is not None else "—",
        "spi": f"{burn.spi:.2f}" if burn.spi is not None else "—",
    }


def _risks(snapshot: Snapshot) -> list[dict]:
    lines = sorted(snapshot.top_risks + snapshot.top_issues, key=lambda r: -r.score)[:TOP]
    return [
        {"key": r.key, "title": r.title, "kind": r.kind.title(), "score": r.score,
         "owner": r.owner or "No owner", "due": r.due}
        for r in lines
    ]  # fmt: skip


def _changes(snapshot: Snapshot) -> list[dict]:
    c = snapshot.currency
    out = []
    for line in snapshot.changes_awaiting:
        impact = []
        if line.cost_impact is not None:
            impact.append(money(line.cost_impact, c))
        if line.schedule_impact_days:
            impact.append(f"{line.schedule_impact_days} days")
        out.append(
            {"key": line.key, "title": line.title, "status": line.status.replace("_", " "),
             "impact": ", ".join(impact) or "—", "needed_by": line.needed_by}
        )  # fmt: skip
    return out


def subject_of(snapshot: Snapshot) -> str:
    overall = _rag(snapshot.rag_of("overall"))
    return f"{snapshot.program_code} weekly briefing · week {snapshot.period} · {overall['label']}"


def context_of(subscription, snapshot: Snapshot, *, recipient=None) -> dict:
    overall = snapshot.rag_of("overall")
    return {
        "snapshot": snapshot,
        "subscription": subscription,
        "subject": subject_of(snapshot),
        "overall": _rag(overall),
        "dimensions": [_rag(snapshot.rag_of(d)) for d in DIMENSIONS if snapshot.rag_of(d)],
        "computed": snapshot.status == "computed",
        "draft": snapshot.status == "draft",
        "milestones_due": [_milestone(m) for m in snapshot.milestones_due],
        "milestones_slipped": [_milestone(m) for m in snapshot.milestones_slipped],
        "budget": _budget(snapshot),
        "risks": _risks(snapshot),
        "decisions": snapshot.decisions_needed,
        "changes": _changes(snapshot),
        "help_needed": snapshot.help_needed,
        "attachments": [pdf_filename(snapshot, "briefing")]
        + ([pdf_filename(snapshot, "deck")] if subscription.include_deck else []),
        "unsubscribe_url": unsubscribe_url(recipient) if recipient is not None else "",
        "preview": recipient is None,
    }


def briefing_email(subscription, snapshot: Snapshot, *, recipient=None) -> BriefingEmail:
    """The e-mail one recipient gets (with their own unsubscribe link); recipient None gives the
    preview (the link shown as a placeholder)."""
    context = context_of(subscription, snapshot, recipient=recipient)
    return BriefingEmail(
        subject=context["subject"],
        text=render_to_string("reporting/email/briefing.txt", context),
        html=render_to_string("reporting/email/briefing.html", context),
    )
