import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """DirtyDay moves here from the metrics app: the table and its rows stay where they are,
    only Django's record of which app owns the model changes."""

    initial = True

    dependencies = [
        ("connections", "0001_initial"),
        ("metrics", "0003_change_lead_times"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DirtyDay",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("environment", models.CharField(max_length=16)),
                        ("day", models.DateField()),
                        ("marked_at", models.DateTimeField(auto_now=True)),
                        (
                            "project",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="connections.project",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "metrics_dirtyday",
                        "indexes": [
                            models.Index(
                                fields=["project", "environment", "day"], name="dirtyday_scope"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
