from django.apps import AppConfig


class DeriveConfig(AppConfig):
    name = "apps.derive"
    label = "derive"
    verbose_name = "Derived links"
