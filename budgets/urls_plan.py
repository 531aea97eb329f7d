"""Budget structure pages (included by budgets/urls.py): the plan grid, cost categories, the
line list and form, change orders and reserves. A line's own routes are in urls_lines.py."""

from django.urls import path

from .views import change_orders, lines
from .views import plan as views

CO = "change-orders/<str:key>/"

urlpatterns: list = [
    path("plan/", views.PlanGridView.as_view(), name="plan"),
    path("plan/<str:key>/row/", views.PlanRowView.as_view(), name="plan_row"),
    path("categories/", views.CategoryListView.as_view(), name="category_list"),
    path("categories/new/", views.CategoryCreateView.as_view(), name="category_create"),
    path("categories/<int:pk>/edit/", views.CategoryEditView.as_view(), name="category_edit"),
    path("categories/<int:pk>/delete/", views.CategoryDeleteView.as_view(), name="category_delete"),
    path("lines/", lines.LineListView.as_view(), name="line_list"),
    path("lines/new/", lines.LineCreateView.as_view(), name="line_create"),
    path("change-orders/", change_orders.ChangeOrderListView.as_view(), name="change_order_list"),
    path(
        "change-orders/new/",
        change_orders.ChangeOrderCreateView.as_view(),
        name="change_order_create",
    ),
    path(CO, change_orders.ChangeOrderDetailView.as_view(), name="change_order_detail"),
    path(CO + "edit/", change_orders.ChangeOrderEditView.as_view(), name="change_order_edit"),
    path(CO + "delete/", change_orders.ChangeOrderDeleteView.as_view(), name="change_order_delete"),
    path(CO + "decide/", change_orders.ChangeOrderDecideView.as_view(), name="change_order_decide"),
    path("reserves/", views.ReservesView.as_view(), name="reserves"),
    path(
        "reserves/movements/new/",
        views.MovementCreateView.as_view(),
        name="reserve_movement_create",
    ),
    path("reserves/<str:key>/edit/", views.ReserveEditView.as_view(), name="reserve_edit"),
]
