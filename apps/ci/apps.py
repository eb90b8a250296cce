from django.apps import AppConfig


class CiConfig(AppConfig):
    name = "apps.ci"
    label = "ci"
