from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from apps.core.health import broker_status, database_status


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = database_status()
    body = {"status": "ok" if database == "ok" else "down", "database": database}
    body["broker"] = broker_status()
    return JsonResponse(body, status=200 if database == "ok" else 503)


def bench_bare(request: HttpRequest) -> JsonResponse:
    """A bare Django JSON endpoint: the ceiling the ingest benchmark compares against.
    Mounted only when DORAHUB_BENCH_ENDPOINT is set."""
    return JsonResponse({"ok": True})
