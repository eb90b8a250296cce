from django.db import models


class LifecycleEvent(models.Model):
    """A transition in a delivery workflow, named `{origin}:{repo}:{event}` (CTO.ai style)."""

    project = models.ForeignKey("connections.Project", on_delete=models.CASCADE)
    connection = models.ForeignKey(
        "connections.Connection", null=True, blank=True, on_delete=models.CASCADE
    )
    origin = models.CharField(max_length=32)
    repo = models.CharField(max_length=300)
    event = models.CharField(max_length=64)
    name = models.CharField(max_length=420, db_index=True)
    occurred_at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    data = models.JSONField(default=dict, blank=True)
    is_insight = models.BooleanField(default=False, help_text="Feeds the DORA metrics.")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["project", "occurred_at"])]

    def __str__(self) -> str:
        return self.name
