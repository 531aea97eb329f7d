from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "budgets"
    verbose_name = "Budgets and finance"

    def ready(self) -> None:
        from vendors.invoicing import register_invoiced_source

        from .invoicing import invoiced_subquery

        register_invoiced_source(invoiced_subquery)
