from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    name = "apps.deployments"
    label = "deployments"

    def ready(self) -> None:
        from apps.deployments import followups  # noqa: F401 - registers follow-up handlers
