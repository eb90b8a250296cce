from io import StringIO

import pytest
from django.core.management import call_command

from apps.deployments.models import Deployment
from apps.issues.models import Issue

pytestmark = pytest.mark.django_db


def test_demo_data_has_three_projects_with_history_and_is_loaded_once():
    call_command("seed_demo", "--days", "30", "--if-empty", stdout=StringIO())
    deployments = Deployment.objects.count()
    assert set(Deployment.objects.values_list("project__slug", flat=True)) == {
        "shop",
        "payments",
        "search",
    }
    assert deployments > 10
    assert Deployment.objects.filter(result="FAILURE").exists() or deployments < 30
    assert all(d.deployment_commits.count() >= 1 for d in Deployment.objects.all()[:20])

    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "not loaded again" in out.getvalue()
    assert Deployment.objects.count() == deployments
    assert Issue.objects.filter(is_incident=True).count() >= 0
