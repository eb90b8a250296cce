from django.db import models

from apps.core.models import TimeStampedModel


class Team(TimeStampedModel):
    """A named set of projects (METRICS.md, "Teams and the organisation"): its figures are
    computed over the union of its projects' rows, never as averages of project figures."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    projects = models.ManyToManyField("connections.Project", related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
