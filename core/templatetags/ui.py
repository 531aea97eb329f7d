"""Template helpers for the shared UI: permission checks, badges, audit values and form inputs."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from django import forms, template
from django.core.exceptions import FieldDoesNotExist
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator, capfirst

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
def is_long_text(value: Any, limit: int = 60) -> bool:
    return isinstance(value, str) and (len(value) > int(limit) or "\n" in value)


@register.filter
def field_label(name: str) -> str:
    return str(name).replace("_", " ").capitalize()


@register.filter
def change_items(changes: Any) -> list[tuple[str, Any, Any]]:
    """`{field: [before, after]}` as (field, before, after) rows, in field order.

    The `program` field is left out: every entry shown lives in the program being viewed."""
    if not isinstance(changes, dict):
        return []
    rows = []
    for field, pair in changes.items():
        if field == "program":
            continue
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


def _bootstrap_class(widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


def _render_widget(field, *, size: str = "", **extra: Any) -> str:
    """The bound field's widget with Bootstrap classes, error state and any extra attributes."""
    widget = field.field.widget
    base = _bootstrap_class(widget)
    classes = [widget.attrs.get("class", ""), base, f"{base}-{size}" if size else ""]
    if field.errors:
        classes.append("is-invalid")
    attrs = {**widget.attrs, **{k: v for k, v in extra.items() if v}}
    attrs["class"] = " ".join(c for c in classes if c)
    if field.errors:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{attrs.get('id') or field.auto_id}_error"
    if type(widget) in (forms.Select, forms.SelectMultiple):
        return _render_select(field, attrs)
    return field.as_widget(attrs=attrs)


def _render_select(field, attrs: dict[str, Any]) -> str:
    """The same <select> Django's widget templates write, built in Python: a filter bar with a
    member picker renders dozens of options, and one template render per option costs
    milliseconds on every list page."""
    widget = field.field.widget
    attrs = field.build_widget_attrs(attrs, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    groups = []
    for group_name, options, _index in context["optgroups"]:
        rendered = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (o["value"], mark_safe(" selected") if o["selected"] else "", o["label"])
                for o in options
            ),
        )
        groups.append(
            format_html('<optgroup label="{}">{}</optgroup>', group_name, rendered)
            if group_name
            else rendered
        )
    return format_html(
        '<select name="{}"{}>{}</select>',
        context["name"],
        flatatt(context["attrs"]),  # carries `multiple` for SelectMultiple, as Django's does
        mark_safe("".join(groups)),  # noqa: S308 - each part was built by format_html
    )


@register.filter
def input_widget(field, size: str = "") -> str:
    """Render a bound field's widget with Bootstrap classes: `{{ form.name|input_widget:"sm" }}`."""
    return _render_widget(field, size=size)


@register.simple_tag
def field_input(
    field,
    size: str = "",
    id: str = "",
    label: str = "",
    placeholder: str = "",
    empty_label: str = "",
    input_type: str = "",
    autofocus: bool = False,
) -> str:
    """A widget with Bootstrap classes and an explicit id, for inputs inside rows and filter bars:
    `{% field_input form.name size="sm" id="ws-3-name" label="Name" %}`.

    The field belongs to one form instance, so adjusting its choices or input type is local."""
    if empty_label:
        set_empty_label(field, empty_label)
    widget = field.field.widget
    if input_type and hasattr(widget, "input_type"):
        widget.input_type = input_type
    return _render_widget(
        field, size=size, id=id, placeholder=placeholder, autofocus=autofocus,
        **{"aria-label": label},
    )  # fmt: skip


@lru_cache(maxsize=256)
def _model_field_meta(model, field: str) -> tuple[str, dict[str, str]]:
    """(verbose name, {stored value: label}) of one model field; empty for unknown fields."""
    try:
        f = model._meta.get_field(field)
    except FieldDoesNotExist:
        return "", {}
    label = str(getattr(f, "verbose_name", "") or "")
    choices = {str(k): str(v) for k, v in f.flatchoices} if getattr(f, "choices", None) else {}
    return label, choices


def _entry_model(entry):
    content_type = getattr(entry, "content_type", None)
    return content_type.model_class() if content_type is not None else None


@register.simple_tag
def change_field(entry, field: str) -> str:
    """The field's verbose name from the audited model (falls back to the stored name)."""
    model = _entry_model(entry)
    label = _model_field_meta(model, field)[0] if model is not None else ""
    return capfirst(label) if label else field_label(field)


@register.simple_tag
def change_value(entry, field: str, value: Any, limit: int = 0) -> str:
    """One side of a change as people read it: choice labels, related objects' text, a dash."""
    text = audit_value(value)
    if value not in (None, "") and not isinstance(value, dict | list):
        model = _entry_model(entry)
        if model is not None:
            text = _model_field_meta(model, field)[1].get(str(value), text)
    if limit:
        text = Truncator(text).chars(int(limit))
    return text


@register.simple_tag
def set_empty_label(field, label: str) -> str:
    """Name the empty choice of a select ("No lead" instead of "---------"); renders nothing.

    ModelChoiceField and django-filter's choice fields add their empty choice when iterated;
    plain ChoiceFields get their first, empty choice relabelled."""
    if hasattr(field.field, "empty_label"):
        field.field.empty_label = label
        if hasattr(field.field.widget, "choices"):
            field.field.widget.choices = field.field.choices
    elif hasattr(field.field, "choices"):
        choices = [c for c in field.field.choices if c[0] not in ("", None)]
        field.field.choices = [("", label), *choices]
    return ""
