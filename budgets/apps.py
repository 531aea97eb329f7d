from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "budgets"
    verbose_name = "Budgets and finance"

    def ready(self) -> None:
        from governance.outcomes import register_outcomes
        from vendors.invoicing import register_invoiced_source

        from .invoicing import invoiced_subquery
        from .outcomes import change_orders_of

        register_invoiced_source(invoiced_subquery)
        register_outcomes(change_orders_of)
