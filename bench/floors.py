"""The floor of each metrics benchmark: ONE hand-written SQL query computing the same headline
numbers as the API (METRICS.md), straight from the rows, for one project or every project, with
or without a weekly series. Used by bench/metrics_scale.py to time the API against it and to
check that both agree."""

from datetime import date
from typing import Any

# Every figure of METRICS.md the API's headline shows, per project (and per week with
# GROUPING SETS). Each project's days are its own time zone's, as in the API.
FLOOR_SQL = """
WITH scope AS (
    SELECT p.id AS project_id, p.time_zone AS tz,
           (%(since)s::date::timestamp AT TIME ZONE p.time_zone) AS lo,
           (%(until)s::date::timestamp AT TIME ZONE p.time_zone) AS hi
    FROM connections_project p
    WHERE %(project)s::bigint IS NULL OR p.id = %(project)s::bigint
),
dep AS (
    SELECT s.project_id, d.id, d.result, d.is_rollback, d.is_hotfix, d.finished_at,
           (d.finished_at AT TIME ZONE s.tz)::date AS day
    FROM scope s
    JOIN deployments_deployment d ON d.project_id = s.project_id
    WHERE d.environment = %(environment)s AND d.finished_at >= s.lo AND d.finished_at < s.hi
),
-- A change counts once, at the first successful deployment to the environment shipping it
-- (the lowest id breaks a tie): a shipment in the period with no earlier one.
lead AS (
    SELECT dep.project_id, dep.day,
           EXTRACT(EPOCH FROM dep.finished_at - c.start_at)::float AS seconds
    FROM dep
    JOIN deployments_deploymentcommit dc ON dc.deployment_id = dep.id
    JOIN deployments_commit c ON c.id = dc.commit_id
    WHERE dep.result = 'SUCCESS'
      AND NOT EXISTS (
          SELECT 1 FROM deployments_deploymentcommit dc2
          JOIN deployments_deployment d2 ON d2.id = dc2.deployment_id
          WHERE dc2.commit_id = dc.commit_id AND d2.environment = %(environment)s
            AND d2.result = 'SUCCESS'
            AND (d2.finished_at < dep.finished_at
                 OR (d2.finished_at = dep.finished_at AND d2.id < dep.id)))
),
restore AS (
    SELECT s.project_id, (i.resolved_at AT TIME ZONE s.tz)::date AS day,
           EXTRACT(EPOCH FROM i.resolved_at - i.created_at)::float AS restore,
           EXTRACT(EPOCH FROM i.resolved_at - d.finished_at)::float AS recovery
    FROM scope s
    JOIN issues_issue i ON i.project_id = s.project_id
    LEFT JOIN deployments_deployment d ON d.id = i.deployment_id
    WHERE i.is_incident AND i.resolved_at >= s.lo AND i.resolved_at < s.hi
      AND (d.environment = %(environment)s
           OR (i.deployment_id IS NULL AND %(environment)s = 'PRODUCTION'))
),
dep_counts AS (
    SELECT project_id, {week_of_day} AS week,
           count(*) FILTER (WHERE result = 'SUCCESS') AS deployments,
           count(*) FILTER (WHERE result IN ('FAILURE', 'ABORT')) AS failed_attempts,
           count(DISTINCT day) FILTER (WHERE result = 'SUCCESS') AS deployment_days,
           count(*) FILTER (WHERE result = 'SUCCESS' AND (
               EXISTS (SELECT 1 FROM issues_issue i
                       WHERE i.deployment_id = dep.id AND i.is_incident)
               OR EXISTS (SELECT 1 FROM deployments_deployment_remediates r
                          WHERE r.to_deployment_id = dep.id))) AS failed,
           count(*) FILTER (WHERE result = 'SUCCESS' AND (
               is_rollback OR is_hotfix
               OR EXISTS (SELECT 1 FROM deployments_deployment_remediates r
                          WHERE r.from_deployment_id = dep.id)
               OR EXISTS (SELECT 1 FROM issues_issue i
                          WHERE i.resolved_by_id = dep.id AND i.is_incident))) AS rework
    FROM dep GROUP BY {grouping}
),
lead_figures AS (
    SELECT project_id, {week_of_day} AS week,
           count(*) FILTER (WHERE seconds > 0) AS changes,
           count(*) FILTER (WHERE NOT seconds > 0 OR seconds IS NULL) AS skipped,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FILTER (WHERE seconds > 0) AS p50,
           percentile_cont(0.75) WITHIN GROUP (ORDER BY seconds) FILTER (WHERE seconds > 0) AS p75,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) FILTER (WHERE seconds > 0) AS p90
    FROM lead GROUP BY {grouping}
),
restore_figures AS (
    SELECT project_id, {week_of_day} AS week, count(*) AS incidents,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY restore) AS restore_p50,
           count(recovery) AS linked,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY recovery) AS recovery_p50
    FROM restore GROUP BY {grouping}
),
-- Median deployment days per week and per month, empty buckets counted as zero.
buckets AS (
    SELECT s.project_id, 'week' AS kind, b::date AS start
    FROM scope s, generate_series(date_trunc('week', %(since)s::date),
                                  %(until)s::date - 1, interval '7 days') b
    UNION ALL
    SELECT s.project_id, 'month', b::date
    FROM scope s, generate_series(date_trunc('month', %(since)s::date),
                                  %(until)s::date - 1, interval '1 month') b
),
bucket_days AS (
    SELECT b.project_id, b.kind, coalesce(x.days, 0) AS days
    FROM buckets b
    LEFT JOIN (
        SELECT project_id, 'week' AS kind, date_trunc('week', day)::date AS start,
               count(DISTINCT day) AS days
        FROM dep WHERE result = 'SUCCESS' GROUP BY 1, 3
        UNION ALL
        SELECT project_id, 'month', date_trunc('month', day)::date, count(DISTINCT day)
        FROM dep WHERE result = 'SUCCESS' GROUP BY 1, 3
    ) x USING (project_id, kind, start)
),
medians AS (
    SELECT project_id,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY days) FILTER (WHERE kind = 'week')
               AS days_per_week,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY days) FILTER (WHERE kind = 'month')
               AS days_per_month
    FROM bucket_days GROUP BY project_id
)
SELECT s.project_id, k.week,
       coalesce(dc.deployments, 0), coalesce(dc.failed_attempts, 0),
       coalesce(dc.deployment_days, 0), coalesce(dc.failed, 0), coalesce(dc.rework, 0),
       coalesce(lf.changes, 0), coalesce(lf.skipped, 0), lf.p50, lf.p75, lf.p90,
       coalesce(rf.incidents, 0), rf.restore_p50, coalesce(rf.linked, 0), rf.recovery_p50,
       CASE WHEN k.week IS NULL THEN m.days_per_week END,
       CASE WHEN k.week IS NULL THEN m.days_per_month END
FROM scope s
JOIN ({keys}) k ON k.project_id = s.project_id
LEFT JOIN dep_counts dc ON dc.project_id = s.project_id AND dc.week IS NOT DISTINCT FROM k.week
LEFT JOIN lead_figures lf ON lf.project_id = s.project_id AND lf.week IS NOT DISTINCT FROM k.week
LEFT JOIN restore_figures rf
    ON rf.project_id = s.project_id AND rf.week IS NOT DISTINCT FROM k.week
LEFT JOIN medians m ON m.project_id = s.project_id
ORDER BY s.project_id, k.week NULLS FIRST
"""

HEADLINE_KEYS = "SELECT project_id, NULL::date AS week FROM scope"
SERIES_KEYS = (
    "SELECT project_id, NULL::date AS week FROM scope UNION ALL "
    "SELECT project_id, start FROM buckets WHERE kind = 'week'"
)

COLUMNS = (
    "project_id",
    "week",
    "deployments",
    "failed_attempts",
    "deployment_days",
    "failed_deployments",
    "rework_deployments",
    "changes",
    "skipped",
    "lead_median",
    "lead_p75",
    "lead_p90",
    "incidents",
    "restore_median",
    "linked_incidents",
    "recovery_median",
    "median_days_per_week",
    "median_days_per_month",
)


def floor_sql(*, series: bool) -> str:
    """The floor query; with `series`, one extra row per week beside each project's total."""
    if series:
        # In the (project_id) grouping set the week expression is NULL: the period's total.
        week = "date_trunc('week', day)::date"
        return FLOOR_SQL.format(
            week_of_day=week,
            grouping=f"GROUPING SETS ((project_id), (project_id, {week}))",
            keys=SERIES_KEYS,
        )
    return FLOOR_SQL.format(week_of_day="NULL::date", grouping="project_id", keys=HEADLINE_KEYS)


def floor_params(
    *, project_id: int | None, since: date, until: date, environment: str = "PRODUCTION"
) -> dict[str, Any]:
    return {"project": project_id, "since": since, "until": until, "environment": environment}


def as_dicts(rows: list[tuple]) -> list[dict[str, Any]]:
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]
