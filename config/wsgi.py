import os

from django.core.wsgi import get_wsgi_application

from apps.core.checks import refuse_to_start_when_misconfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()
# A WSGI server runs no system checks: refuse to serve on misconfigured production settings.
refuse_to_start_when_misconfigured()
