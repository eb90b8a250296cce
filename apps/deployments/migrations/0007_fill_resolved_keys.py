"""Store the resolved keys of the deployments written before they were stored as rows.

Two passes in primary-key order, a fixed number of rows at a time, so memory does not grow with
the tables: the deployments' `resolves` lists, then their commits' messages (the message the
deployment listed the commit with, and the change's own)."""

from django.db import migrations

from apps.deployments.resolutions import keys_in

CHUNK = 2000
KEY_MAX_LENGTH = 600  # as apps.deployments.models.KEY_MAX_LENGTH when this was written


def _chunks(queryset, fields):
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:CHUNK])
        if not rows:
            return
        last = rows[-1][0]
        yield rows


def _store(ResolvedKey, db, found):
    ResolvedKey.objects.using(db).bulk_create(
        [
            ResolvedKey(deployment_id=deployment_id, project_id=project_id, key=key)
            for deployment_id, project_id, key in sorted(found)
            if len(key) <= KEY_MAX_LENGTH
        ],
        ignore_conflicts=True,  # a key both listed and in a message, or in two commits
    )


def fill(apps, schema_editor):
    db = schema_editor.connection.alias
    Deployment = apps.get_model("deployments", "Deployment")
    DeploymentCommit = apps.get_model("deployments", "DeploymentCommit")
    ResolvedKey = apps.get_model("deployments", "ResolvedKey")
    for rows in _chunks(Deployment.objects.using(db), ("project_id", "resolves")):
        found = {
            (pk, project_id, key)
            for pk, project_id, resolves in rows
            for key in keys_in(resolves=resolves, messages=())
        }
        _store(ResolvedKey, db, found)
    fields = ("deployment_id", "deployment__project_id", "message", "commit__message")
    for rows in _chunks(DeploymentCommit.objects.using(db), fields):
        found = {
            (deployment_id, project_id, key)
            for _, deployment_id, project_id, own, commit_message in rows
            for key in keys_in(resolves=(), messages=(own, commit_message))
        }
        _store(ResolvedKey, db, found)


class Migration(migrations.Migration):
    dependencies = [
        ("deployments", "0006_resolved_keys"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
