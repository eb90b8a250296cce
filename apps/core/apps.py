from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from apps.core import (
            aggregates,
            checks,  # noqa: F401 - registers the production guard rails
            schema,  # noqa: F401 - registers OpenAPI field extensions
        )

        aggregates.connect()
