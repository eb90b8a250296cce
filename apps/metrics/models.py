from django.db import models


class DirtyDay(models.Model):
    """A mark that a (project, environment, day) needs its snapshot rebuilt. Ingestion adds one
    in the same transaction as the data, so a crash between the two can never lose a recompute.

    Marks are only ever inserted (no unique key, so concurrent writers never wait for each
    other) and a rebuild deletes exactly the marks it read: one added meanwhile survives it."""

    project = models.ForeignKey("connections.Project", on_delete=models.CASCADE)
    environment = models.CharField(max_length=16)
    day = models.DateField()
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["project", "environment", "day"], name="dirtyday_scope")]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.environment}/{self.day}"


class DailySnapshot(models.Model):
    """Counts of one project-local day in one environment (METRICS.md), rebuilt from the rows.

    Only counts live here: medians cannot be added up across days, so they are always computed
    from the rows. A day without a row and without a DirtyDay mark had nothing to count."""

    project = models.ForeignKey(
        "connections.Project", on_delete=models.CASCADE, related_name="snapshots"
    )
    environment = models.CharField(max_length=16)
    day = models.DateField(help_text="Calendar day in the project's time zone.")
    time_zone = models.CharField(
        max_length=64, help_text="The project's time zone when the row was built."
    )
    deployments = models.PositiveIntegerField(default=0, help_text="Successful deployments.")
    failed_attempts = models.PositiveIntegerField(
        default=0, help_text="Deploy attempts that failed or were aborted."
    )
    failed_deployments = models.PositiveIntegerField(
        default=0, help_text="Deployments with a linked incident, rollback or hotfix."
    )
    rework_deployments = models.PositiveIntegerField(
        default=0, help_text="Hotfixes, rollbacks and incident remediations."
    )
    incidents_opened = models.PositiveIntegerField(default=0)
    incidents_resolved = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "environment", "day"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "environment", "day"], name="dailysnapshot_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.environment}/{self.day}"
