from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "releases"
    verbose_name = "Requirements, testing and releases"

    def ready(self) -> None:
        from governance.outcomes import register_outcomes

        from .outcomes import requirements_of

        register_outcomes(requirements_of)
