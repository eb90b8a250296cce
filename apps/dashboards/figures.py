"""Each figure as a page shows it: its raw value, its words, its sample, the link to its rows,
how it was computed and how its level was decided (METRICS.md)."""

from collections.abc import Callable
from dataclasses import dataclass, field

from apps.dashboards.formatting import count, frequency, human_duration, percent
from apps.metrics import levels
from apps.metrics.selectors import Figures

# A percentage change is only shown when both periods have at least this many rows behind
# the figure; below it a change of one incident reads as "+100%" and means nothing.
MIN_COMPARABLE_SAMPLE = 10

DEFINITIONS = {
    "deployments": "Successful deployments to the environment that finished in the period.",
    "deployment_frequency": "Successful deployments to the environment per day of the period.",
    "failed_attempts": "Deploy attempts with result FAILURE or ABORT: they never reached the "
    "environment and are not deployments.",
    "lead_time": "Median time from a change's start (its earliest known time) to the finish "
    "of the first successful deployment that contains it, over changes first deployed in the "
    "period.",
    "change_failure_rate": "Share of the period's deployments that failed: an incident is "
    "linked to them, or a later deployment is their rollback or hotfix.",
    "time_to_restore": "Median of resolved minus created over incidents resolved in the period.",
    "recovery_time": "Failed deployment recovery time: median of an incident's resolution minus "
    "its linked deployment's finish, over linked incidents resolved in the period.",
    "rework_rate": "Share of the period's deployments that were unplanned fixes: rollbacks, "
    "hotfixes, or deployments that remediated an incident or another deployment.",
}

LEGENDS = {
    "2023": {
        "deployment_frequency": "elite: median ≥ 5 deployment days a week (on demand) · high: "
        "≥ 1 day a week · medium: ≥ 1 day a month · low: fewer",
        "lead_time": "elite < 1 day · high < 1 week · medium < 1 month · low: longer",
        "change_failure_rate": "elite ≤ 5% · high ≤ 10% · medium ≤ 15% · low: more",
        "time_to_restore": "elite < 1 h · high < 1 day · medium < 1 week · low: longer",
    },
    "2021": {
        "deployment_frequency": "elite: median ≥ 5 deployment days a week · high: ≥ 1 day a "
        "month · medium: ≥ 1 day in 6 months · low: fewer",
        "lead_time": "elite < 1 h · high < 1 week · medium < 6 months · low: longer",
        "change_failure_rate": "elite ≤ 15% · high ≤ 20% · medium ≤ 30% · low: more",
        "time_to_restore": "elite < 1 h · high < 1 day · medium < 1 week · low: longer",
    },
}
LEGEND_LABELS = {
    "deployment_frequency": "Deployment frequency",
    "lead_time": "Lead time for changes",
    "change_failure_rate": "Change failure rate",
    "time_to_restore": "Time to restore / recovery time",
}


@dataclass
class Comparison:
    text: str
    css: str = ""
    percent_shown: bool = False


@dataclass
class Figure:
    metric: str
    label: str
    value: float | None  # base units: count, seconds or a ratio
    text: str
    sample: int  # the rows of the linked list (data-total)
    sample_text: str
    href: str
    of: int | None = None  # a rate's denominator
    level: str | None = None
    level_rule: str = ""
    definition: str = ""
    left_out: str = ""
    comparison: Comparison = field(default_factory=lambda: Comparison("no comparison"))
    has_median: bool = False
    help: list[str] = field(default_factory=list)  # why it is empty or thin, and the fix

    @property
    def data_value(self) -> str:
        return "" if self.value is None else repr(float(self.value))


def _compare(
    metric: str,
    now: float | None,
    now_n: int,
    before: float | None,
    before_n: int,
    *,
    higher_is_better: bool | None,
    write: Callable[[float | None], str],
) -> Comparison:
    if before is None and now is None:
        return Comparison("no data before either")
    both = f"before: {write(before)} (n={before_n})"
    if now is None or before is None:
        return Comparison(both)
    if now_n < MIN_COMPARABLE_SAMPLE or before_n < MIN_COMPARABLE_SAMPLE:
        return Comparison(f"{both}; too few to compare (needs n ≥ {MIN_COMPARABLE_SAMPLE} in both)")
    if now == before:
        return Comparison(f"{both}; unchanged")
    css = ""
    if higher_is_better is not None:
        css = "better" if (now > before) == higher_is_better else "worse"
    if metric in ("change_failure_rate", "rework_rate"):
        change = f"{(now - before) * 100:+.1f} pts"
    elif before:
        change = f"{(now - before) / before * 100:+.0f}%"
    else:
        change = "from zero"
    return Comparison(f"{change}; {both}", css, percent_shown=True)


def _below_rule(value: float | None, level: str, text: str) -> str:
    return "" if value is None else f"median {text} → {level}"


def build_figures(
    figures: Figures,
    previous: Figures | None,
    *,
    link: Callable[..., str],
    benchmark: str,
    environment: str,
    unlinked_incidents: int = 0,
    open_incidents: int = 0,
) -> dict[str, Figure]:
    """Every figure of a scope; `link(page, figure=...)` builds the URL of its rows."""
    df, lt, cfr = figures.deployment_frequency, figures.lead_time, figures.change_failure_rate
    ttr, frt, rw = (
        figures.time_to_restore,
        figures.failed_deployment_recovery_time,
        figures.rework_rate,
    )
    p = previous
    out: dict[str, Figure] = {}

    week, month = df.median_deployment_days_per_week, df.median_deployment_days_per_month
    df_rule = ""
    if week is not None:
        df_rule = f"deploys on a median of {week:.1f} days a week"
        if df.level not in (levels.ELITE, levels.HIGH) or benchmark == "2021":
            df_rule += f" and {month or 0:.1f} days a month"
        df_rule += f" → {df.level}"
    out["deployment_frequency"] = Figure(
        metric="deployment_frequency",
        label="Deployment frequency",
        value=df.per_day,
        text="no data" if df.per_day is None else frequency(df.per_day),
        sample=df.deployments,
        sample_text=f"{count(df.deployments, 'deployment')} on {count(df.deployment_days, 'day')}",
        href=link("deployments", figure="deployments"),
        level=df.level,
        level_rule=df_rule,
        definition=DEFINITIONS["deployment_frequency"],
        left_out=f"{count(df.failed_attempts, 'failed attempt')} (never reached {environment})"
        if df.failed_attempts
        else "",
        comparison=_compare(
            "deployment_frequency",
            df.per_day,
            df.deployments,
            p.deployment_frequency.per_day if p else None,
            p.deployment_frequency.deployments if p else 0,
            higher_is_better=True,
            write=frequency,
        ),
    )
    out["deployments"] = Figure(
        metric="deployments",
        label="Deployments",
        value=df.deployments,
        text=count(df.deployments),
        sample=df.deployments,
        sample_text=count(df.deployments, "deployment"),
        href=link("deployments", figure="deployments"),
        definition=DEFINITIONS["deployments"],
    )
    out["failed_attempts"] = Figure(
        metric="failed_attempts",
        label="Failed deploy attempts",
        value=df.failed_attempts,
        text=count(df.failed_attempts),
        sample=df.failed_attempts,
        sample_text=count(df.failed_attempts, "attempt"),
        href=link("deployments", figure="failed_attempts"),
        definition=DEFINITIONS["failed_attempts"],
    )
    out["lead_time"] = Figure(
        metric="lead_time",
        label="Lead time for changes",
        value=lt.median_seconds,
        text="no data" if lt.median_seconds is None else human_duration(lt.median_seconds),
        sample=lt.changes,
        sample_text=f"{count(lt.changes, 'change')} · p75 {human_duration(lt.p75_seconds)} · "
        f"p90 {human_duration(lt.p90_seconds)}",
        href=link("changes"),
        level=lt.level,
        level_rule=_below_rule(lt.median_seconds, lt.level, human_duration(lt.median_seconds)),
        definition=DEFINITIONS["lead_time"],
        left_out=f"{count(lt.skipped, 'change')} skipped: no start time, or a lead time ≤ 0"
        if lt.skipped
        else "",
        comparison=_compare(
            "lead_time",
            lt.median_seconds,
            lt.changes,
            p.lead_time.median_seconds if p else None,
            p.lead_time.changes if p else 0,
            higher_is_better=False,
            write=human_duration,
        ),
        has_median=True,
    )
    out["change_failure_rate"] = Figure(
        metric="change_failure_rate",
        label="Change failure rate",
        value=cfr.rate,
        text="no data" if cfr.rate is None else percent(cfr.rate),
        sample=cfr.failed_deployments,
        sample_text=f"{cfr.failed_deployments} of {count(cfr.deployments, 'deployment')} failed",
        href=link("deployments", figure="change_failure_rate"),
        of=cfr.deployments,
        level=cfr.level,
        level_rule="" if cfr.rate is None else f"{percent(cfr.rate)} failed → {cfr.level}",
        definition=DEFINITIONS["change_failure_rate"],
        left_out=f"{count(unlinked_incidents, 'incident')} not linked to a deployment"
        if unlinked_incidents
        else "",
        comparison=_compare(
            "change_failure_rate",
            cfr.rate,
            cfr.deployments,
            p.change_failure_rate.rate if p else None,
            p.change_failure_rate.deployments if p else 0,
            higher_is_better=False,
            write=percent,
        ),
    )
    out["time_to_restore"] = Figure(
        metric="time_to_restore",
        label="Time to restore service",
        value=ttr.median_seconds,
        text="no data" if ttr.median_seconds is None else human_duration(ttr.median_seconds),
        sample=ttr.incidents,
        sample_text=f"{count(ttr.incidents, 'incident')} resolved",
        href=link("incidents", figure="time_to_restore"),
        level=ttr.level,
        level_rule=_below_rule(ttr.median_seconds, ttr.level, human_duration(ttr.median_seconds)),
        definition=DEFINITIONS["time_to_restore"],
        left_out=f"{count(open_incidents, 'incident')} still open" if open_incidents else "",
        comparison=_compare(
            "time_to_restore",
            ttr.median_seconds,
            ttr.incidents,
            p.time_to_restore.median_seconds if p else None,
            p.time_to_restore.incidents if p else 0,
            higher_is_better=False,
            write=human_duration,
        ),
        has_median=True,
    )
    not_linked = ttr.incidents - frt.incidents
    out["recovery_time"] = Figure(
        metric="recovery_time",
        label="Failed deployment recovery time",
        value=frt.median_seconds,
        text="no data" if frt.median_seconds is None else human_duration(frt.median_seconds),
        sample=frt.incidents,
        sample_text=f"{count(frt.incidents, 'linked incident')} resolved",
        href=link("incidents", figure="recovery_time"),
        level=frt.level,
        level_rule=_below_rule(frt.median_seconds, frt.level, human_duration(frt.median_seconds)),
        definition=DEFINITIONS["recovery_time"],
        left_out=f"{count(not_linked, 'resolved incident')} not linked to a deployment"
        if not_linked
        else "",
        comparison=_compare(
            "recovery_time",
            frt.median_seconds,
            frt.incidents,
            p.failed_deployment_recovery_time.median_seconds if p else None,
            p.failed_deployment_recovery_time.incidents if p else 0,
            higher_is_better=False,
            write=human_duration,
        ),
        has_median=True,
    )
    out["rework_rate"] = Figure(
        metric="rework_rate",
        label="Deployment rework rate",
        value=rw.rate,
        text="no data" if rw.rate is None else percent(rw.rate),
        sample=rw.rework_deployments,
        sample_text=f"{rw.rework_deployments} of {count(rw.deployments, 'deployment')} "
        "were unplanned fixes",
        href=link("deployments", figure="rework_rate"),
        of=rw.deployments,
        level_rule="no level: DORA publishes none for rework",
        definition=DEFINITIONS["rework_rate"],
        comparison=_compare(
            "rework_rate",
            rw.rate,
            rw.deployments,
            p.rework_rate.rate if p else None,
            p.rework_rate.deployments if p else 0,
            higher_is_better=False,
            write=percent,
        ),
    )
    return out


HEADLINE = ("deployment_frequency", "lead_time", "change_failure_rate", "time_to_restore")
SECONDARY = ("failed_attempts", "rework_rate", "recovery_time")
OVERVIEW_COLUMNS = (
    "deployment_frequency",
    "lead_time",
    "change_failure_rate",
    "time_to_restore",
    "recovery_time",
    "rework_rate",
)


def legend(benchmark: str) -> list[tuple[str, str]]:
    table = LEGENDS.get(benchmark, LEGENDS["2023"])
    return [(LEGEND_LABELS[key], text) for key, text in table.items()]
