"""Deployments written before the keys were stored as rows get them when the database is
migrated (deployments 0007): the same keys `resolved_keys` computes, in bounded chunks."""

from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.deployments.resolutions import resolved_keys
from tests.factories import ConnectionFactory, DeploymentCommitFactory, DeploymentFactory

BEFORE = [("deployments", "0006_resolved_keys")]
AFTER = [("deployments", "0007_fill_resolved_keys")]


@pytest.fixture
def migrated_back(transactional_db):
    """The schema with the key table still empty (before 0007); migrated forward again after."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.usefixtures("migrated_back")
def test_the_migration_stores_the_keys_of_existing_deployments(monkeypatch):
    fill_migration = import_module("apps.deployments.migrations.0007_fill_resolved_keys")
    monkeypatch.setattr(fill_migration, "CHUNK", 2)  # several chunks of each table
    connection_row = ConnectionFactory()
    listed = DeploymentFactory(connection=connection_row, resolves=["inc-1", "INC-1", "OPS-2"])
    DeploymentCommitFactory(deployment=listed, message="fixes INC-1")
    in_messages = DeploymentFactory(connection=connection_row)
    DeploymentCommitFactory(deployment=in_messages, message="Closes #12")
    DeploymentCommitFactory(deployment=in_messages, commit__message="resolves ops-3")
    DeploymentCommitFactory(deployment=in_messages, message="no key here")
    silent = DeploymentFactory(connection=connection_row)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    ResolvedKey = executor.loader.project_state(AFTER).apps.get_model("deployments", "ResolvedKey")

    def keys(deployment):
        rows = ResolvedKey.objects.filter(deployment_id=deployment.pk)
        assert set(rows.values_list("project_id", flat=True)) <= {connection_row.project_id}
        return set(rows.values_list("key", flat=True))

    assert keys(listed) == resolved_keys(listed) == {"INC-1", "OPS-2"}
    assert keys(in_messages) == resolved_keys(in_messages) == {"12", "OPS-3"}
    assert keys(silent) == set()
