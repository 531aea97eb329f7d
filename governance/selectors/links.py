"""Keyed items of a program, found by their human keys (CR-3, TSK-12, RSK-4) for generic links.

Every model with a `KEY_PREFIX`, a `key` and a `program` can be linked: change requests,
decisions, WBS items, RAID items, workstreams... New apps join by having those three.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models

from programs.models import Program

KEY_RE = re.compile(r"^([A-Z]{1,8})-(\d{1,9})$")
KEY_SPLIT_RE = re.compile(r"[\s,;]+")
KIND_LABELS = {"schedules.item": "WBS item"}


@cache
def linkable_models() -> dict[str, type[models.Model]]:
    """Key prefix -> model, for every keyed, program-owned model."""
    found: dict[str, type[models.Model]] = {}
    for model in apps.get_models():
        prefix = getattr(model, "KEY_PREFIX", "")
        if not prefix or model._meta.abstract:
            continue
        try:
            model._meta.get_field("key")
            model._meta.get_field("program")
        except FieldDoesNotExist:
            continue
        found.setdefault(prefix, model)
    return found


def split_keys(text: str) -> list[str]:
    """`"cr-3, TSK-12;rsk-4"` -> `["CR-3", "TSK-12", "RSK-4"]` (order kept, repeats dropped)."""
    keys: list[str] = []
    for part in KEY_SPLIT_RE.split(text or ""):
        key = part.strip().upper()
        if key and key not in keys:
            keys.append(key)
    return keys


def objects_for_keys(
    *, program: Program, keys: list[str], field: str, prefixes: tuple[str, ...] | None = None
) -> list[models.Model]:
    """The program's objects with these keys, in the order given; one query per kind of item.

    Unknown kinds and keys that are not in the program are refused together, each named, as
    errors on `field`. `prefixes` narrows the kinds accepted (e.g. ("TSK",) for WBS items).
    """
    registry = linkable_models()
    allowed = {p: m for p, m in registry.items() if prefixes is None or p in prefixes}
    by_prefix: dict[str, list[str]] = defaultdict(list)
    problems: list[str] = []
    for key in keys:
        match = KEY_RE.match(key)
        if match is None or match.group(1) not in allowed:
            if len(allowed) == 1:
                [(prefix, model)] = allowed.items()
                kind = KIND_LABELS.get(model._meta.label_lower, str(model._meta.verbose_name))
                problems.append(f"{key} is not a {kind} key: they look like {prefix}-12.")
            else:
                kinds = ", ".join(f"{p}-" for p in sorted(allowed))
                problems.append(f"{key} is not a key of a linkable item (use {kinds}).")
            continue
        by_prefix[match.group(1)].append(key)
    found: dict[str, models.Model] = {}
    for prefix, wanted in by_prefix.items():
        model = allowed[prefix]
        for obj in model._default_manager.filter(program=program, key__in=wanted):
            obj.program = program  # get_absolute_url needs the code: no query per object
            found[obj.key] = obj
    problems += [
        f"There is no {key} in {program.code}."
        for key in keys
        if key not in found and KEY_RE.match(key) and KEY_RE.match(key).group(1) in allowed
    ]
    if problems:
        raise ValidationError({field: problems})
    return [found[key] for key in keys]


@dataclass(frozen=True)
class LinkedItem:
    """What a page shows for a linked item."""

    key: str
    label: str
    kind: str
    url: str
    content_type_id: int
    object_id: int


def _url_of(obj: models.Model) -> str:
    try:
        return obj.get_absolute_url()  # type: ignore[attr-defined]
    except Exception:  # a model without pages: the key is shown as text
        return ""


def describe(obj: models.Model) -> LinkedItem:
    ct = ContentType.objects.get_for_model(obj)
    kind = KIND_LABELS.get(obj._meta.label_lower, str(obj._meta.verbose_name).capitalize())
    text = str(obj)
    key = obj.key  # type: ignore[attr-defined]
    return LinkedItem(
        key=key,
        label=text.removeprefix(key).strip() or text,
        kind=kind,
        url=_url_of(obj),
        content_type_id=ct.pk,
        object_id=obj.pk,
    )


def describe_targets(*, program: Program, pairs: list[tuple[int, int]]) -> list[LinkedItem]:
    """`(content_type_id, object_id)` pairs as LinkedItems (one query per kind), in their order;
    targets deleted since are left out."""
    ids_by_type: dict[int, list[int]] = defaultdict(list)
    for ct_id, object_id in pairs:
        ids_by_type[ct_id].append(object_id)
    objects: dict[tuple[int, int], models.Model] = {}
    for ct_id, ids in ids_by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None:
            continue
        for obj in model._default_manager.filter(pk__in=ids, program=program):
            obj.program = program
            objects[(ct_id, obj.pk)] = obj
    return [describe(objects[pair]) for pair in pairs if pair in objects]
