"""Reads of the compliance register: the filtered list (one FilterSet for the page and the API),
an obligation with its evidence and history, status counts, and the evidence package for
auditors (a zip with a folder per obligation and an index.csv)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
import zipfile
from typing import IO

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from core.exports import neutralise
from core.models import AuditEntry, User
from programs.models import Program

from ..models.compliance import (
    STATUS_COLOURS,
    STATUS_ICONS,
    ComplianceStatus,
    Evidence,
    Obligation,
    ObligationKind,
)

REVIEW_SOON_DAYS = 30


class ObligationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(
        choices=ComplianceStatus.choices, empty_label="All statuses"
    )
    kind = django_filters.ChoiceFilter(choices=ObligationKind.choices, empty_label="All kinds")
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.none(), empty_label="Any owner")
    review = django_filters.ChoiceFilter(
        choices=[
            ("overdue", "Review overdue"),
            ("soon", f"Review due in {REVIEW_SOON_DAYS} days"),
        ],
        method="by_review",
        empty_label="Any review date",
        label="Review",
    )
    sort = django_filters.OrderingFilter(
        fields=(("id", "key"), ("reference", "reference"), ("status", "status"),
                ("owner__full_name", "owner"), ("review_date", "review"),
                ("updated_at", "updated")),
        label="Sort",
        empty_label="Sort: key",
    )  # fmt: skip

    class Meta:
        model = Obligation
        fields = ["q", "status", "kind", "owner", "review"]

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["owner"].queryset = User.objects.filter(memberships__program=program)

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(key__iexact=value.strip())
            | Q(title__icontains=value)
            | Q(reference__icontains=value)
            | Q(text__icontains=value)
            | Q(control__icontains=value)
        )

    def by_review(self, queryset, name, value):
        today = timezone.localdate()
        if value == "overdue":
            return queryset.filter(review_date__lt=today)
        if value == "soon":
            return queryset.filter(
                review_date__gte=today, review_date__lte=today + dt.timedelta(REVIEW_SOON_DAYS)
            )
        return queryset


def obligation_list(*, program: Program) -> QuerySet[Obligation]:
    return (
        Obligation.objects.filter(program=program)
        .select_related("owner")
        .annotate(evidence_count=Count("evidence"))
        .order_by("id")
    )


def obligation_get(*, program: Program, key: str) -> Obligation:
    obligation = (
        Obligation.objects.filter(program=program, key=str(key).strip().upper())
        .select_related("owner", "program", "program__sponsor")
        .first()
    )
    if obligation is None:
        raise Http404("No such obligation")
    return obligation


def status_counts(*, program: Program) -> list[dict]:
    """Per status (in register order): value, label, colour, icon and how many obligations."""
    rows = dict(
        Obligation.objects.filter(program=program)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        {
            "value": value,
            "label": label,
            "colour": STATUS_COLOURS[value],
            "icon": STATUS_ICONS[value],
            "count": rows.get(value, 0),
        }
        for value, label in ComplianceStatus.choices
    ]


def evidence_list(*, obligation: Obligation) -> QuerySet[Evidence]:
    return Evidence.objects.filter(obligation=obligation).select_related("uploaded_by")


def evidence_get(*, obligation: Obligation, pk) -> Evidence:
    try:
        return Evidence.objects.select_related("uploaded_by", "obligation").get(
            obligation=obligation, pk=int(pk)
        )
    except (Evidence.DoesNotExist, TypeError, ValueError) as exc:
        raise Http404("No such evidence file") from exc


def obligation_history(*, obligation: Obligation) -> QuerySet[AuditEntry]:
    """Changes of the obligation and of its evidence files (added or removed), newest first."""
    evidence_type = ContentType.objects.get_for_model(Evidence)
    return (
        AuditEntry.objects.filter(program_id=obligation.program_id)
        .filter(
            Q(
                content_type=ContentType.objects.get_for_model(Obligation),
                object_id=str(obligation.pk),
            )
            | Q(content_type=evidence_type, changes__obligation__1__id=obligation.pk)
            | Q(content_type=evidence_type, changes__obligation__0__id=obligation.pk)
        )
        .select_related("content_type")
        .order_by("-timestamp", "-id")
    )


# --- the evidence package -------------------------------------------------------------------------

INDEX_HEADER = [
    "obligation_key", "reference", "title", "status", "owner", "review_date", "file_name",
    "note", "uploaded_by", "uploaded_at", "sha256", "size_bytes",
]  # fmt: skip
_UNSAFE = str.maketrans(dict.fromkeys('<>:"/\\|?*', "_"))


def _folder_name(obligation: Obligation) -> str:
    """ "CMP-3 GDPR Art. 32": the key and reference, safe as a folder name on every system."""
    reference = "".join(ch for ch in obligation.reference.translate(_UNSAFE) if ch.isprintable())
    return f"{obligation.key} {reference}".strip(" .")[:120]


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        taken.add(name)
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    n = 2
    while True:
        candidate = f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})"
        if candidate not in taken:
            taken.add(candidate)
            return candidate
        n += 1


def package_obligations(*, program: Program, keys: list[str] | None) -> list[Obligation]:
    """The obligations to package (all when `keys` is empty); unknown keys are an error."""
    obligations = Obligation.objects.filter(program=program).select_related("owner")
    if keys:
        wanted = {k.strip().upper() for k in keys if k.strip()}
        obligations = obligations.filter(key__in=wanted)
        found = {o.key for o in obligations}
        missing = sorted(wanted - found)
        if missing:
            raise Http404(f"No obligation {', '.join(missing)} in {program.code}")
    return sorted(obligations, key=lambda o: o.pk)


def package_filename(program: Program) -> str:
    return f"{program.code}-evidence-{timezone.localdate():%Y-%m-%d}.zip"


def evidence_package(*, program: Program, obligations: list[Obligation]) -> IO[bytes]:
    """A zip in a temporary file (rewound): a folder per obligation with its evidence files and
    an index.csv listing every file with its SHA-256 (obligations without evidence get a line
    with an empty file name, so the auditor sees what is missing). The caller closes it."""
    evidence = (
        Evidence.objects.filter(obligation__in=obligations)
        .select_related("uploaded_by")
        .order_by("obligation_id", "created_at", "pk")
    )
    by_obligation: dict[int, list[Evidence]] = {}
    for item in evidence:
        by_obligation.setdefault(item.obligation_id, []).append(item)
    zone = timezone.get_current_timezone()
    index = io.StringIO()
    writer = csv.writer(index, lineterminator="\r\n")
    writer.writerow(INDEX_HEADER)
    target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for obligation in obligations:
            folder = _folder_name(obligation)
            base = [
                obligation.key,
                neutralise(obligation.reference),
                neutralise(obligation.title),
                obligation.get_status_display(),
                neutralise(str(obligation.owner)),
                obligation.review_date.isoformat(),
            ]
            files = by_obligation.get(obligation.pk, [])
            if not files:
                writer.writerow([*base, "", "", "", "", "", ""])
                continue
            taken: set[str] = set()
            for item in files:
                path = f"{folder}/{_unique(item.file_name, taken)}"
                note = item.note
                try:
                    with item.file.open("rb") as source, archive.open(path, "w") as sink:
                        for chunk in iter(lambda source=source: source.read(1024 * 1024), b""):
                            sink.write(chunk)
                except FileNotFoundError:  # listed, so the auditor sees what could not be given
                    note = f"[file missing from storage] {note}".strip()
                writer.writerow(
                    [
                        *base,
                        neutralise(path),
                        neutralise(note),
                        neutralise(str(item.uploaded_by) if item.uploaded_by else "system"),
                        timezone.localtime(item.created_at, zone).isoformat(timespec="seconds"),
                        item.sha256,
                        str(item.size),
                    ]
                )
        archive.writestr("index.csv", "\ufeff" + index.getvalue())
    target.seek(0)
    return target
