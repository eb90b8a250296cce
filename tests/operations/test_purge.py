from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.connections.models import ApiToken
from apps.deployments.models import Deployment
from apps.ingest.models import Delivery
from apps.issues.models import Issue
from apps.marks.models import DirtyDay

pytestmark = pytest.mark.django_db

DEPLOYMENT = {
    "repo_url": "r",
    "commit_sha": "abc",
    "start_time": "2024-01-01T00:00:00Z",
    "end_time": "2024-01-01T00:05:00Z",
}
INCIDENT = {
    "issue_key": "INC-1",
    "title": "down",
    "status": "TODO",
    "type": "INCIDENT",
    "created_date": "2024-01-02T00:00:00Z",
}


def send(api, sender):
    base = f"/api/v1/connections/{sender.connection.pk}"
    api.post(f"{base}/deployments", data=DEPLOYMENT, format="json", **sender.auth)
    api.post(f"{base}/issues", data=INCIDENT, format="json", **sender.auth)


def test_purging_a_connection_deletes_only_its_data_and_keeps_its_tokens(api, sender, other_sender):
    send(api, sender)
    send(api, other_sender)
    DirtyDay.objects.all().delete()

    out = StringIO()
    call_command("purge_connection", str(sender.connection.pk), "--yes", stdout=out)

    for model in (Deployment, Issue, Delivery):
        assert not model.objects.filter(connection=sender.connection).exists()
        assert model.objects.filter(connection=other_sender.connection).exists()
    assert ApiToken.objects.filter(connection=sender.connection).exists()
    assert set(DirtyDay.objects.values_list("day", flat=True)) >= {
        timezone.datetime(2024, 1, 1).date(),
        timezone.datetime(2024, 1, 2).date(),
    }
    assert "Deleted" in out.getvalue()


def test_purge_requires_confirmation(sender):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("purge_connection", sender.connection.name)


def test_prune_inbox_keeps_recent_and_unprocessed_deliveries(api, sender):
    send(api, sender)
    old = timezone.now() - timedelta(days=100)
    Delivery.objects.update(received_at=old, processed_at=old)
    unprocessed = Delivery.objects.order_by("id").first()
    Delivery.objects.filter(pk=unprocessed.pk).update(processed_at=None, status="accepted")
    api.post(
        f"/api/v1/connections/{sender.connection.pk}/deployments",
        data=DEPLOYMENT | {"id": "fresh"},
        format="json",
        **sender.auth,
    )

    call_command("prune_inbox", "--days", "90", stdout=StringIO())

    remaining = Delivery.objects.order_by("received_at")
    assert remaining.count() == 2  # the unprocessed old one and the fresh one
    assert remaining.first().pk == unprocessed.pk
