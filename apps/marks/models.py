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
        # The table predates this app (it was the metrics app's); moved without copying rows.
        db_table = "metrics_dirtyday"
        indexes = [models.Index(fields=["project", "environment", "day"], name="dirtyday_scope")]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.environment}/{self.day}"
