"""API routes of the budget structure (included by budgets/api/urls.py); a line's own route is
in urls_lines.py, loaded last."""

from django.urls import path

from . import change_orders as co
from . import plan as api

B = "programs/<str:code>/budget/"
LIST = {"get": "list", "post": "create"}
ROW = {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
CO = B + "change-orders/<str:key>/"
R = B + "reserves/<str:key>/"

urlpatterns: list = [
    path(B + "categories/", api.CategoryViewSet.as_view(LIST), name="budgets_category_list"),
    path(
        B + "categories/<int:pk>/",
        api.CategoryViewSet.as_view(ROW),
        name="budgets_category_detail",
    ),
    path(B + "lines/", api.LineViewSet.as_view(LIST), name="budgets_line_list"),
    path(B + "plan/", api.PlanView.as_view(), name="budgets_plan"),
    path(B + "plan/<str:key>/", api.PlanLineView.as_view(), name="budgets_plan_line"),
    path(
        B + "change-orders/",
        co.ChangeOrderViewSet.as_view(LIST),
        name="budgets_change_order_list",
    ),
    path(CO, co.ChangeOrderViewSet.as_view(ROW), name="budgets_change_order_detail"),
    path(CO + "approve/", co.ChangeOrderApproveView.as_view(), name="budgets_change_order_approve"),
    path(CO + "reject/", co.ChangeOrderRejectView.as_view(), name="budgets_change_order_reject"),
    path(B + "reserves/", co.ReserveViewSet.as_view({"get": "list"}), name="budgets_reserve_list"),
    path(
        R,
        co.ReserveViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="budgets_reserve_detail",
    ),
    path(R + "movements/", co.MovementViewSet.as_view(LIST), name="budgets_reserve_movement_list"),
]
