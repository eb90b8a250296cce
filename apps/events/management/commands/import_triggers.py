"""`import_triggers FILE`: keep triggers in a repository, in the shape of a CTO.ai ops.yml.

    workflows:                      # or commands: / pipelines: / services: (CTO.ai)
      - name: notify-release-bot
        url: https://bots.example.com/dorahub
        secret_env: RELEASE_BOT_SECRET   # or secret: "..."
        project: shop                    # or connections: [shop-ci, shop-github]
                                         # or all_projects: true (installation-wide)
        events:
          - "github:acme/*:pull_request.merged"
          - "*:*:build.needs_approval"

Each trigger hears one scope: `project:`, `connections:` or `all_projects: true` in the item,
else the command's `--project SLUG` or `--all-projects` (so a CTO.ai ops.yml works as it is).
Items without `events` are not triggers and are skipped. An existing ops.yml imports what
DORA Hub understands: an event name it does not know is left out of its trigger, an item it
cannot use (no url, no secret) is left out, and each is listed with the reason. With
`--strict` the whole file must be understood or nothing is written. Re-importing updates the
triggers of the same name.
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from apps.connections.models import Connection, Project
from apps.events.models import Trigger
from apps.events.patterns import InvalidPattern, parse
from apps.events.services import save_trigger
from apps.events.targets import TargetRefused, validate_target

SECTIONS = ("workflows", "commands", "pipelines", "services")


@dataclass(frozen=True)
class TriggerSpec:
    where: str
    name: str
    patterns: list[str]
    url: str
    secret: str | None
    description: str
    is_active: bool
    project: Project | None
    connections: list[Connection]
    all_projects: bool


class Command(BaseCommand):
    help = "Create or update triggers from an ops.yml-style YAML file (idempotent by name)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="YAML file with workflows: (or commands/pipelines/...)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="import nothing unless every item and event of the file is understood",
        )
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument(
            "--project", metavar="SLUG", help="scope of the items that name none: this project"
        )
        scope.add_argument(
            "--all-projects",
            action="store_true",
            help="scope of the items that name none: every project (installation-wide)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            document = yaml.safe_load(path.read_text())
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise CommandError(f"{path} is not valid YAML: {exc}") from None
        default: dict[str, Any] = {}
        if options.get("project"):
            default = {"project": options["project"]}
        elif options.get("all_projects"):
            default = {"all_projects": True}
        specs, skipped = parse_document(
            document, default_scope=default, strict=options.get("strict", False)
        )
        if not specs:
            reasons = "".join(f"\n  skipped {line}" for line in skipped)
            raise CommandError(
                f"{path} defines no triggers DORA Hub can use (no item with events: and url:)."
                + reasons
            )
        if options["dry_run"]:
            for spec in specs:
                self.stdout.write(f"would import {spec.name}: {', '.join(spec.patterns)}")
            for line in skipped:
                self.stdout.write(f"would skip {line}")
            return
        with transaction.atomic():
            for spec in specs:
                saved = save_trigger(
                    name=spec.name,
                    patterns=spec.patterns,
                    url=spec.url,
                    secret=spec.secret,
                    description=spec.description,
                    is_active=spec.is_active,
                    project=spec.project,
                    connections=spec.connections,
                    all_projects=spec.all_projects,
                )
                verb = "created" if saved.created else "updated"
                self.stdout.write(f"{verb} {spec.name}: {', '.join(saved.trigger.patterns)}")
        for line in skipped:
            self.stdout.write(f"skipped {line}")


def parse_document(
    document: Any, *, default_scope: dict[str, Any] | None = None, strict: bool = False
) -> tuple[list[TriggerSpec], list[str]]:
    """The triggers of the document and what was skipped ("<path>: <why>"). Strict: every
    problem is a CommandError naming each by its path, and nothing is returned."""
    if not isinstance(document, dict):
        raise CommandError("Expected a YAML mapping with a workflows: list.")
    existing = set(Trigger.objects.values_list("name", flat=True))
    specs: list[TriggerSpec] = []
    skipped: list[str] = []
    problems: list[str] = []
    seen: set[str] = set()
    for section in SECTIONS:
        items = document.get(section)
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append(f"{section}: must be a list")
            continue
        for index, item in enumerate(items):
            where = f"{section}[{index}]"
            if not isinstance(item, dict):
                problems.append(f"{where}: must be a mapping")
                continue
            if "events" not in item:
                skipped.append(f"{where}: no events: (not a trigger)")
                continue
            if not any(key in item for key in ("project", "connections", "all_projects")):
                item = {**item, **(default_scope or {})}
            spec, item_problems, unknown_events = _parse_item(where, item, existing=existing)
            if spec is not None and spec.name in seen:
                item_problems.append(f"{where}.name: {spec.name!r} appears twice")
            if strict:
                problems.extend(item_problems + unknown_events)
            elif item_problems:
                skipped.extend(item_problems)
            else:
                skipped.extend(unknown_events)
            if spec is not None and not item_problems:
                seen.add(spec.name)
                specs.append(spec)
    if problems:
        raise CommandError("Nothing imported:\n  " + "\n  ".join(problems))
    return specs, skipped


def _parse_item(
    where: str, item: dict[str, Any], *, existing: set[str]
) -> tuple[TriggerSpec | None, list[str], list[str]]:
    """(the trigger, problems that make the item unusable, events it does not understand);
    an item with at least one understood event is usable without the others."""
    problems: list[str] = []
    unknown_events: list[str] = []
    name = item.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        problems.append(f"{where}.name: required, a string of at most 200 characters")
        name = ""
    patterns: list[str] = []
    events = item.get("events")
    if not isinstance(events, list) or not events:
        problems.append(f"{where}.events: must be a non-empty list of event patterns")
    else:
        for position, text in enumerate(events):
            try:
                patterns.append(str(parse(text)))
            except InvalidPattern as exc:
                unknown_events.append(f"{where}.events[{position}]: {exc}")
        if not patterns:
            problems.extend(unknown_events)
            unknown_events = []
    url = item.get("url")
    if not isinstance(url, str) or not url.strip():
        problems.append(f"{where}.url: required (where DORA Hub POSTs the events)")
        url = ""
    else:
        try:
            validate_target(url)
        except TargetRefused as exc:
            problems.append(f"{where}.url: {exc}")
    secret = item.get("secret")
    secret_env = item.get("secret_env")
    if secret is not None and secret_env is not None:
        problems.append(f"{where}: give secret or secret_env, not both")
    elif secret_env is not None:
        secret = os.environ.get(str(secret_env))
        if not secret:
            problems.append(f"{where}.secret_env: environment variable {secret_env} is not set")
    elif secret is not None and (not isinstance(secret, str) or not secret):
        problems.append(f"{where}.secret: must be a non-empty string")
    elif secret is None and name.strip() not in existing:
        problems.append(f"{where}: a new trigger needs secret or secret_env")
    active = item.get("active", True)
    if not isinstance(active, bool):
        problems.append(f"{where}.active: must be true or false")
    project, connections, all_projects = _parse_scope(where, item, problems)
    description = item.get("description") or ""
    if problems:
        return None, problems, unknown_events
    return (
        TriggerSpec(
            where=where,
            name=name.strip(),
            patterns=patterns,
            url=url.strip(),
            secret=secret,
            description=str(description),
            is_active=active,
            project=project,
            connections=connections,
            all_projects=all_projects,
        ),
        [],
        unknown_events,
    )


def _parse_scope(
    where: str, item: dict[str, Any], problems: list[str]
) -> tuple[Project | None, list[Connection], bool]:
    """Whose events the trigger hears: `project: slug`, `connections: [names]`, or
    `all_projects: true`; exactly one, since a name like `devlake:acme/shop:...` is chosen by
    whoever sends it."""
    given = [key for key in ("project", "connections", "all_projects") if key in item]
    if len(given) != 1:
        problems.append(
            f"{where}: give exactly one of project: (a slug), connections: (a list of "
            "connection names) or all_projects: true (or run with --project / --all-projects)"
        )
        return None, [], False
    if "project" in item:
        project = Project.objects.filter(slug=str(item["project"])).first()
        if project is None:
            problems.append(f"{where}.project: no project with the slug {item['project']!r}")
        return project, [], False
    if "connections" in item:
        names = item["connections"]
        if not isinstance(names, list) or not names:
            problems.append(f"{where}.connections: must be a non-empty list of connection names")
            return None, [], False
        found = {c.name: c for c in Connection.objects.filter(name__in=[str(n) for n in names])}
        for position, name in enumerate(names):
            if str(name) not in found:
                problems.append(f"{where}.connections[{position}]: no connection named {name!r}")
        return None, list(found.values()), False
    if item["all_projects"] is not True:
        problems.append(f"{where}.all_projects: must be true (or leave it out)")
    return None, [], True
