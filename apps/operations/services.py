"""Operations on the data as a whole: delete everything one connection sent (keeping the
connection and its tokens)."""

from collections import defaultdict
from datetime import datetime

from django.db import models, transaction

from apps.connections.models import ApiToken, Connection
from apps.deployments.models import Deployment
from apps.issues.models import Issue
from apps.marks.services import mark_dirty


def _affected_days(connection: Connection) -> dict[str, list[datetime]]:
    """Instants whose metric days change when this connection's data goes, per environment."""
    instants: dict[str, list[datetime]] = defaultdict(list)
    for environment, finished in Deployment.objects.filter(connection=connection).values_list(
        "environment", "finished_at"
    ):
        if finished:
            instants[environment].append(finished)
    for created, resolved, environment in Issue.objects.filter(
        connection=connection, is_incident=True
    ).values_list("created_at", "resolved_at", "deployment__environment"):
        instants[environment or "PRODUCTION"].extend(t for t in (created, resolved) if t)
    return instants


@transaction.atomic
def purge_connection_data(*, connection: Connection) -> dict[str, int]:
    """Delete the deliveries, deployments, issues, CI records and events a connection sent.

    Every model with a foreign key to Connection is covered (found by introspection, so a new
    app's data is never forgotten), except the tokens. Metric days they touched are marked dirty
    in the same transaction, so snapshots are rebuilt afterwards."""
    for environment, instants in _affected_days(connection).items():
        mark_dirty(project=connection.project, environment=environment, instants=instants)
    deleted: dict[str, int] = {}
    for relation in Connection._meta.related_objects:
        model = relation.related_model
        if model is ApiToken or not isinstance(relation, models.ManyToOneRel):
            continue
        _, per_model = model._default_manager.filter(**{relation.field.name: connection}).delete()
        for label, count in per_model.items():
            deleted[label] = deleted.get(label, 0) + count
    return {label: count for label, count in sorted(deleted.items()) if count}
