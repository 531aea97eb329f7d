"""Template helpers for pages of other apps that show RAID actions on their own objects."""

from __future__ import annotations

from django import template

from risks.selectors import subject_ref

register = template.Library()


@register.filter
def raid_subject_ref(subject) -> str:
    """The `?on=` value of the action form for `subject`: a RAID key or `app_label.model:pk`."""
    return subject_ref(subject)
