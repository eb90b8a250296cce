from django.db import migrations


class Migration(migrations.Migration):
    """DirtyDay now belongs to the marks app (apps.marks.models); its table is unchanged."""

    dependencies = [
        ("metrics", "0003_change_lead_times"),
        ("marks", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="DirtyDay")],
            database_operations=[],
        ),
    ]
