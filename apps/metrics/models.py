from django.db import models


class DailySnapshot(models.Model):
    """Counts of one project-local day in one environment (METRICS.md), rebuilt from the rows.

    Only counts live here: medians cannot be added up across days, so they are always computed
    from the rows. A day without a row and without a dirty-day mark (apps.marks) had nothing to
    count."""

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


class ChangeLeadTime(models.Model):
    """A change's first successful deployment to one environment, and its lead time (METRICS.md),
    rebuilt with the snapshot of that deployment's day.

    Lead times cannot be added up across days like counts, so the rows are kept per change:
    a period's median is then one index range scan instead of a search, for every change
    shipped in the period, of the deployments that shipped it before."""

    # Indexed by the composite index below, which the planner must not trade for a bare
    # project index when the query also excludes some changes.
    project = models.ForeignKey("connections.Project", on_delete=models.CASCADE, db_index=False)
    environment = models.CharField(max_length=16)
    commit = models.ForeignKey(
        "deployments.Commit", on_delete=models.CASCADE, related_name="lead_times"
    )
    # No key to the deployment: a row outliving a deleted deployment still names the day to
    # rebuild, which puts the change back at its next deployment.
    first_deployed_at = models.DateTimeField()
    lead_seconds = models.FloatField(
        null=True, help_text="first_deployed_at minus the change's start; NULL when unknown."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commit", "environment"], name="changeleadtime_unique")
        ]
        indexes = [
            models.Index(
                fields=["project", "environment", "first_deployed_at"],
                # commit: a period with marked days excludes the changes they concern.
                include=["lead_seconds", "commit"],
                name="changeleadtime_period",
            ),
            # The lead times of a team of many projects, or of all projects, in one range.
            models.Index(
                fields=["environment", "first_deployed_at"],
                include=["lead_seconds", "commit"],
                name="changeleadtime_all_projects",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commit_id}/{self.environment}"
