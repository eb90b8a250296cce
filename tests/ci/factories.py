"""Factories for CI builds and jobs (rows as the services store them)."""

from datetime import timedelta

import factory

from apps.ci.models import CIStatus, Job, Pipeline
from tests.factories import BASE_TIME, ConnectionFactory


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline

    connection = factory.SubFactory(ConnectionFactory, kind="cirrus")
    project = factory.LazyAttribute(lambda o: o.connection.project)
    external_id = factory.Sequence(lambda n: f"{5082236150611968 + n}")
    branch = "main"
    commit_sha = factory.Sequence(lambda n: f"{n:040x}")
    status = CIStatus.SUCCESS
    original_status = "COMPLETED"
    status_changed_at = BASE_TIME
    duration_seconds = 60
    finished_at = BASE_TIME + timedelta(hours=1)
    started_at = factory.LazyAttribute(
        lambda o: (
            o.finished_at - timedelta(seconds=o.duration_seconds or 0) if o.finished_at else None
        )
    )


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    connection = factory.SubFactory(ConnectionFactory, kind="allstacks")
    project = factory.LazyAttribute(lambda o: o.connection.project)
    external_id = factory.Sequence(lambda n: f"job-{n}")
    identity_key = factory.LazyAttribute(lambda o: o.external_id)
    job_type = "CUSTOM_CD_JOB"
    branch = ""
    commit_sha = factory.Sequence(lambda n: f"{n:040x}")
    status = CIStatus.SUCCESS
    original_status = "Succeeded"
    status_changed_at = BASE_TIME
    duration_seconds = 60
    finished_at = BASE_TIME + timedelta(hours=1)
    started_at = factory.LazyAttribute(
        lambda o: (
            o.finished_at - timedelta(seconds=o.duration_seconds or 0) if o.finished_at else None
        )
    )
