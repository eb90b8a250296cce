from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "apps.metrics"
    label = "metrics"

    def ready(self) -> None:
        from apps.metrics import tasks  # noqa: F401 - registers the recompute apps.marks requests
