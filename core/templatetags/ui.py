"""Template helpers for the shared UI: permission checks, badges, audit values and form inputs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms, template
from django.utils import timezone
from django.utils.html import format_html

from core.permissions import Role

register = template.Library()

# Colours are Tabler's "-lt" (light) badge variants, chosen once here so every page agrees.
STATUS_COLOURS = {
    "proposed": "azure",
    "active": "green",
    "on_hold": "yellow",
    "closed": "secondary",
}
ROLE_COLOURS = {
    Role.MANAGER: "purple",
    Role.COORDINATOR: "blue",
    Role.CONTRIBUTOR: "teal",
    Role.FINANCE: "orange",
    Role.EXECUTIVE: "indigo",
    Role.VIEWER: "secondary",
    Role.VENDOR: "pink",
}
ROLE_HELP = {
    Role.MANAGER: "runs the program: edits everything and manages members",
    Role.COORDINATOR: "edits workstreams and keeps the plan up to date",
    Role.CONTRIBUTOR: "updates the work assigned to them",
    Role.FINANCE: "budgets, actuals, invoices and forecasts",
    Role.EXECUTIVE: "follows progress, decisions and risks",
    Role.VIEWER: "read-only access",
    Role.VENDOR: "sees only its own items",
}
ACTION_ICONS = {
    "create": ("ti-plus", "green", "created"),
    "update": ("ti-pencil", "blue", "updated"),
    "delete": ("ti-trash", "red", "deleted"),
}
AVATAR_COLOURS = ["blue", "azure", "indigo", "purple", "pink", "orange", "teal", "cyan", "lime"]


@register.simple_tag
def can(access, action: str) -> bool:
    """`{% can access "workstream.add" as can_add %}`: the role matrix, asked from a template."""
    if access is None or access == "":
        return False
    try:
        return bool(access.can(action))
    except (AttributeError, KeyError):
        return False


@register.simple_tag
def status_badge(value: str, label: str = "") -> str:
    colour = STATUS_COLOURS.get(value, "secondary")
    text = label or str(value).replace("_", " ").capitalize()
    return format_html('<span class="badge bg-{}-lt">{}</span>', colour, text)


@register.simple_tag
def role_badge(role: str | None) -> str:
    if not role:
        return format_html('<span class="text-secondary">{}</span>', "—")
    try:
        label = Role(role).label
    except ValueError:
        label = str(role)
    return format_html(
        '<span class="badge bg-{}-lt">{}</span>', ROLE_COLOURS.get(role, "secondary"), label
    )


@register.simple_tag
def role_choices_help() -> list[tuple[str, str, str]]:
    """(value, label, what the role does) for every role, in matrix order."""
    return [(role.value, role.label, ROLE_HELP.get(role, "")) for role in Role]


@register.filter
def role_label(role: str | None) -> str:
    try:
        return Role(role).label
    except ValueError:
        return str(role or "")


@register.filter
def action_icon(action: str) -> str:
    return ACTION_ICONS.get(action, ("ti-point", "secondary", action))[0]


@register.filter
def action_colour(action: str) -> str:
    return ACTION_ICONS.get(action, ("ti-point", "secondary", action))[1]


@register.filter
def action_verb(action: str) -> str:
    return ACTION_ICONS.get(action, ("ti-point", "secondary", str(action)))[2]


@register.filter
def avatar_colour(value: Any) -> str:
    """A stable colour per person, so the same name always gets the same avatar."""
    text = str(value or "")
    return AVATAR_COLOURS[sum(map(ord, text)) % len(AVATAR_COLOURS)]


@register.filter
def initials_of(name: Any) -> str:
    parts = [p for p in str(name or "").replace("@", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.filter
def audit_value(value: Any) -> str:
    """One side of an audit change: foreign keys show their text, empty values a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        if "repr" in value:
            return str(value["repr"])
        return ", ".join(f"{k}: {audit_value(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(audit_value(v) for v in value)
    return str(value)


@register.filter
def is_empty_value(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


@register.filter
def field_label(name: str) -> str:
    return str(name).replace("_", " ").capitalize()


@register.filter
def change_items(changes: Any) -> list[tuple[str, Any, Any]]:
    """`{field: [before, after]}` as (field, before, after) rows, in field order."""
    if not isinstance(changes, dict):
        return []
    rows = []
    for field, pair in changes.items():
        if isinstance(pair, list | tuple) and len(pair) == 2:
            rows.append((field, pair[0], pair[1]))
        else:
            rows.append((field, None, pair))
    return rows


@register.filter
def pct_class(value: Any) -> str:
    """A width class for progress bars (CSP forbids style attributes): pct-0 ... pct-100 by 5."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = 0
    number = min(max(number, 0), 100)
    return f"pct-{int(round(number / 5) * 5)}"


@register.filter(name="abs")
def absolute(value: Any) -> Any:
    try:
        return abs(value)
    except TypeError:
        return value


@register.filter
def local_day(value: dt.datetime | None) -> dt.date | None:
    """The calendar day of a timestamp in the active time zone (for grouping feeds by day)."""
    if value is None:
        return None
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.date()


@register.filter
def minutes(value: Any, default: int = 15) -> int:
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds() // 60)
    return default


@register.filter
def input_widget(field, size: str = "") -> str:
    """Render a bound field's widget with Bootstrap classes: `{{ form.name|input_widget:"sm" }}`."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        base = "form-check-input"
    elif isinstance(widget, forms.Select):
        base = "form-select"
    else:
        base = "form-control"
    classes = [base]
    if size:
        classes.append(f"{base}-{size}")
    if field.errors:
        classes.append("is-invalid")
    attrs = {"class": " ".join([widget.attrs.get("class", ""), *classes]).strip()}
    if field.errors:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.auto_id}_error"
    return field.as_widget(attrs=attrs)
