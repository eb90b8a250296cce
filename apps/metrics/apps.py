from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "apps.metrics"
    label = "metrics"

    def ready(self) -> None:
        from apps.metrics import aggregates, followups  # noqa: F401  (registers handlers)

        aggregates.connect()
