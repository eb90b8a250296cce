from datetime import UTC, datetime, timedelta

import factory
from django.contrib.auth import get_user_model

from apps.connections.models import ApiToken, Connection, ConnectionKind, Project
from apps.connections.services import issue_token
from apps.deployments.models import Commit, Deployment, DeploymentCommit, Repository
from apps.issues.models import Issue
from apps.teams.models import Team

BASE_TIME = datetime(2024, 1, 1, 12, tzinfo=UTC)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"connection-{n}")
    slug = factory.LazyAttribute(lambda o: o.name)
    project = factory.SubFactory(ProjectFactory)
    kind = ConnectionKind.DEVLAKE
    settings = factory.LazyFunction(dict)

    @factory.post_generation
    def secret(obj: Connection, create: bool, extracted: str | None, **kwargs: object) -> None:
        if extracted:
            obj.set_signing_secret(extracted)
            if create:
                obj.save(update_fields=["signing_secret_encrypted"])


def token_for(connection: Connection, **kwargs: object) -> str:
    """Issue a token the way the product does and return its plaintext."""
    return issue_token(connection=connection, **kwargs).plaintext  # type: ignore[arg-type]


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """Tokens built through the service; `.plaintext` is set on the instance for tests."""

    class Meta:
        model = ApiToken

    connection = factory.SubFactory(ConnectionFactory)

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: object) -> ApiToken:
        issued = issue_token(**kwargs)  # type: ignore[arg-type]
        issued.token.plaintext = issued.plaintext  # type: ignore[attr-defined]
        return issued.token


class RepositoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Repository

    project = factory.SubFactory(ProjectFactory)
    url = factory.Sequence(lambda n: f"https://github.com/acme/repo-{n}")
    name = factory.LazyAttribute(lambda o: o.url.split("github.com/")[-1])


class CommitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commit

    project = factory.SubFactory(ProjectFactory)
    sha = factory.Sequence(lambda n: f"{n:040x}")
    authored_at = BASE_TIME
    start_at = factory.LazyAttribute(lambda o: o.authored_at)


class DeploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deployment

    connection = factory.SubFactory(ConnectionFactory)
    project = factory.LazyAttribute(lambda o: o.connection.project)
    external_id = factory.Sequence(lambda n: f"deploy-{n}")
    environment = "PRODUCTION"
    result = "SUCCESS"
    started_at = factory.LazyAttribute(lambda o: o.finished_at - timedelta(minutes=5))
    finished_at = BASE_TIME + timedelta(days=1)


class DeploymentCommitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeploymentCommit

    deployment = factory.SubFactory(DeploymentFactory)
    commit = factory.SubFactory(
        CommitFactory, project=factory.SelfAttribute("..deployment.project")
    )


class IssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Issue

    connection = factory.SubFactory(ConnectionFactory)
    project = factory.LazyAttribute(lambda o: o.connection.project)
    issue_key = factory.Sequence(lambda n: f"INC-{n}")
    title = "Checkout is down"
    type = "INCIDENT"
    is_incident = True
    status = "TODO"
    created_at = BASE_TIME + timedelta(days=2)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")

    @factory.post_generation
    def projects(obj: Team, create: bool, extracted: list[Project] | None, **kwargs: object):
        if create and extracted:
            obj.projects.set(extracted)
