"""Governance Celery tasks: thin wrappers that call one service each."""

from __future__ import annotations

from celery import shared_task

from .services.compliance import obligation_escalations_run, obligation_review_reminders_run


@shared_task(name="governance.compliance_reviews_and_escalations")
def compliance_reviews_and_escalations_task() -> dict[str, int]:
    """Daily: remind owners of reviews that are due, re-escalate lasting non-compliance.

    Idempotent: every e-mail has an idempotency key and every escalation step is taken once."""
    return {
        "reminders": obligation_review_reminders_run(),
        "escalations": obligation_escalations_run(),
    }
