from django.apps import AppConfig


class MarksConfig(AppConfig):
    name = "apps.marks"
    label = "marks"
    verbose_name = "Dirty-day marks"
