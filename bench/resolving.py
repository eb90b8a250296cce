"""Finding an incident's resolving deployment at scale: the stored key rows against the text search
they replaced, and the follow-up of one incident webhook.

    .venv/bin/python bench/resolving.py [--reuse] [--keep] [--incidents 200] [--runs 5]

On bench/scale_data.py's database (1,000,000 deployments, 100,000 incidents; `--reuse` keeps an
earlier load), for a sample of incidents spread over the projects (a tenth of them resolved by a
hotfix), times per incident:

* `apps.derive.linking.resolving_deployment`: one probe of `deployments_resolvedkey`;
* the lookup it replaced (`LIKE '%KEY%'` over the `resolves` and commit messages of every later
  successful production deployment of the project, confirmed in Python), kept here to compare;
* `apps.derive.services.after_incidents` for one incident: what an incident webhook's
  follow-up runs (link, then resolve). Twice: re-decided (nothing changes, as the load already
  holds the answers) and just arrived (stored unlinked and without a resolver, so the link and
  any resolution are written; rolled back after each run).

Both lookups must agree on every incident. Prints p50/p95 per incident (also written to
bench/results/resolving.json) and exits non-zero on a disagreement. The database is dropped at
the end unless --keep.
"""

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scale_data
from metrics_scale import percentile, setup_django


def text_search_resolver(issue):
    """The lookup before the key rows (apps.derive.linking up to the ResolvedKey change)."""
    from django.db.models import Q

    from apps.deployments.models import Deployment
    from apps.deployments.resolutions import resolved_keys

    key = issue.issue_key.strip()
    candidates = (
        Deployment.objects.filter(
            Q(resolves__icontains=key)
            | Q(deployment_commits__message__icontains=key)
            | Q(deployment_commits__commit__message__icontains=key),
            project_id=issue.project_id,
            environment="PRODUCTION",
            result="SUCCESS",
            finished_at__gte=issue.created_at,
        )
        .distinct()
        .order_by("finished_at", "external_id")
    )
    for deployment in candidates:
        if key.upper() in resolved_keys(deployment):
            return deployment
    return None


def sample(count: int, seed: int = 7) -> list[int]:
    from apps.issues.models import Issue

    rng = random.Random(seed)
    hotfixed = list(Issue.objects.filter(issue_key__startswith="HOT-").values_list("pk", flat=True))
    others = list(Issue.objects.exclude(issue_key__startswith="HOT-").values_list("pk", flat=True))
    fixed = min(len(hotfixed), count // 10)
    return sorted(rng.sample(hotfixed, fixed) + rng.sample(others, count - fixed))


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(samples) * 1000, 2),
        "p95_ms": round(percentile(samples, 0.95) * 1000, 2),
        "max_ms": round(max(samples) * 1000, 2),
        "runs": len(samples),
    }


def time_each(fn, issues, runs: int) -> tuple[list[float], dict[int, int | None]]:
    """Every timed run of every incident, after one warm-up run of each."""
    answers: dict[int, int | None] = {}
    samples = []
    for issue in issues:
        found = fn(issue)
        answers[issue.pk] = getattr(found, "pk", None)
        for _ in range(runs):
            began = time.perf_counter()
            fn(issue)
            samples.append(time.perf_counter() - began)
    return samples, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="keep an existing load of this shape")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per incident")
    parser.add_argument("--old-incidents", type=int, default=40, help="sample for the old lookup")
    args = parser.parse_args()
    scale_data.ensure(reuse=args.reuse)
    setup_django()
    from apps.derive.linking import resolving_deployment
    from apps.derive.services import after_incidents
    from apps.issues.models import Issue

    ids = sample(args.incidents)
    issues = list(Issue.objects.filter(pk__in=ids).order_by("pk"))
    new, new_answers = time_each(resolving_deployment, issues, args.runs)
    # The old lookup is slow: a smaller sample, the same mix (every tenth one hotfixed).
    step = max(1, len(issues) // args.old_incidents)
    old_issues = issues[::step][: args.old_incidents]
    old, old_answers = time_each(text_search_resolver, old_issues, 1)
    disagree = [pk for pk, found in old_answers.items() if new_answers[pk] != found]
    stored = {i.pk: i.resolved_by_id for i in issues}
    wrong = [pk for pk, found in new_answers.items() if stored[pk] != found]

    def follow_up(issue):
        after_incidents(issue_ids=[issue.pk])

    webhook, _ = time_each(follow_up, issues, args.runs)

    def arrival(issue):
        from django.db import transaction

        with transaction.atomic():
            Issue.objects.filter(pk=issue.pk).update(
                deployment=None, link_method="", resolved_by=None
            )
            began = time.perf_counter()
            after_incidents(issue_ids=[issue.pk])
            arrivals.append(time.perf_counter() - began)
            transaction.set_rollback(True)

    arrivals: list[float] = []
    time_each(arrival, issues, args.runs)
    changed = sum(
        1 for issue in issues if issue.deployment_id is not None or issue.resolved_by_id is not None
    )
    result = {
        "incidents": len(issues),
        "resolved_by_a_hotfix": sum(1 for found in new_answers.values() if found),
        "resolving_deployment (key rows)": summary(new),
        "text search it replaced": summary(old) | {"incidents": len(old_issues)},
        "after_incidents, one incident re-decided": summary(webhook),
        "after_incidents, one incident just arrived": summary(arrivals)
        | {"incidents_linked_or_resolved": changed},
        "disagreements with the text search": disagree,
        "answers differing from the loaded resolved_by": wrong,
    }
    print(json.dumps(result, indent=2))
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "resolving.json").write_text(json.dumps(result, indent=2))
    if not args.keep:
        scale_data.drop_database()
    if disagree or wrong:
        sys.exit("the lookups disagree")


if __name__ == "__main__":
    main()
