"""RAID log pages, under /programs/<code>/raid/.

Each type has the same set of paths under its own segment (risks/, issues/, assumptions/,
dependencies/, actions/), named `<singular>_list`, `<singular>_create`, `<singular>_detail`,
`<singular>_edit`, `<singular>_inline` and `<singular>_delete`; the view learns the type from the
pattern's extra `raid_type` argument.
"""

from django.urls import path

from .choices import RaidType
from .views import analysis, io, items, log
from .views.common import TYPES

app_name = "risks"


def _type_patterns(raid_type: str) -> list:
    info = TYPES[raid_type]
    seg, name, extra = f"{raid_type}/", info.singular, {"raid_type": raid_type}
    return [
        path(seg, log.RaidLogView.as_view(), extra, name=f"{name}_list"),
        path(seg + "new/", items.ItemCreateView.as_view(), extra, name=f"{name}_create"),
        path(seg + "<str:key>/", items.ItemDetailView.as_view(), extra, name=f"{name}_detail"),
        path(seg + "<str:key>/edit/", items.ItemEditView.as_view(), extra, name=f"{name}_edit"),
        path(seg + "<str:key>/inline/", log.ItemInlineView.as_view(), extra, name=f"{name}_inline"),
        path(
            seg + "<str:key>/delete/", items.ItemDeleteView.as_view(), extra, name=f"{name}_delete"
        ),
    ]


RISK = {"raid_type": RaidType.RISK}
ACTION = {"raid_type": RaidType.ACTION}

urlpatterns = [
    path("", log.RaidLogView.as_view(), RISK, name="raid_log"),
    path("heat-map/", analysis.HeatMapView.as_view(), name="heat_map"),
    path("trend/", analysis.TrendView.as_view(), name="trend"),
    path("trend/snapshot/", analysis.SnapshotTakeView.as_view(), name="snapshot_take"),
    path("overdue/", analysis.OverdueView.as_view(), name="overdue"),
    path("risks/<str:key>/review/", items.RiskReviewView.as_view(), RISK, name="risk_review"),
    path(
        "risks/<str:key>/raise-issue/",
        items.RiskRaiseIssueView.as_view(),
        RISK,
        name="risk_raise_issue",
    ),
    path(
        "actions/<str:key>/subject/",
        items.ActionSubjectView.as_view(),
        ACTION,
        name="action_subject",
    ),
    path("import/", io.ImportView.as_view(), name="raid_import"),
    path("import/template.xlsx", io.ImportTemplateView.as_view(), name="raid_import_template"),
    path(
        "import/template.csv",
        io.ImportTemplateView.as_view(extension="csv"),
        name="raid_import_template_csv",
    ),
    path("export.csv", io.ExportView.as_view(), name="raid_export_csv"),
    path("export.xlsx", io.ExportView.as_view(extension="xlsx"), name="raid_export_xlsx"),
    *[p for raid_type in TYPES for p in _type_patterns(raid_type)],
]
