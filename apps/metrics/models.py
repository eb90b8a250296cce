from django.db import models


class DirtyDay(models.Model):
    """A (project, environment, day) whose snapshot must be rebuilt; ingestion marks it in the
    same transaction as the data, so a crash between the two can never lose a recompute."""

    project = models.ForeignKey("connections.Project", on_delete=models.CASCADE)
    environment = models.CharField(max_length=16)
    day = models.DateField()
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "environment", "day"], name="dirtyday_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.environment}/{self.day}"
