import os

from django.core.asgi import get_asgi_application

from apps.core.checks import refuse_to_start_when_misconfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_asgi_application()
# An ASGI server runs no system checks: refuse to serve on misconfigured production settings.
refuse_to_start_when_misconfigured()
