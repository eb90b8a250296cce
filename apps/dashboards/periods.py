"""The period a page shows: `?period=30|90|180|365` days or explicit `since`/`until` dates."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from apps.core.time import MAX_PERIOD_DAYS, check_period_day

PERIOD_CHOICES = [("30", "30 days"), ("90", "90 days"), ("180", "180 days"), ("365", "365 days")]
DEFAULT_DAYS = 90


@dataclass(frozen=True)
class Period:
    since: date  # inclusive
    until: date  # exclusive
    days: int | None  # the preset, when one was chosen

    @property
    def length(self) -> int:
        return (self.until - self.since).days

    def previous(self) -> "Period":
        return Period(
            since=self.since - timedelta(days=self.length), until=self.since, days=self.days
        )

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        start = datetime.combine(self.since, datetime.min.time(), tzinfo=tz)
        end = datetime.combine(self.until, datetime.min.time(), tzinfo=tz)
        return start, end


class PeriodForm(forms.Form):
    period = forms.ChoiceField(choices=PERIOD_CHOICES, required=False)
    since = forms.DateField(required=False)
    until = forms.DateField(required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name in ("since", "until"):
            if problem := check_period_day(data.get(name)):
                self.add_error(name, problem)
        since, until = data.get("since"), data.get("until")
        if since and until and until <= since:
            raise forms.ValidationError("'until' must be after 'since'.")
        if since and not self.errors:
            end = until or timezone.localdate() + timedelta(days=1)
            if (end - since).days > MAX_PERIOD_DAYS:
                raise forms.ValidationError(
                    f"The period may span at most {MAX_PERIOD_DAYS} days; showing the default."
                )
        return data

    def get_period(self, *, today: date | None = None) -> Period:
        today = today or timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        until = data.get("until") or today + timedelta(days=1)
        if data.get("since"):
            return Period(since=data["since"], until=until, days=None)
        days = int(data.get("period") or DEFAULT_DAYS)
        return Period(since=until - timedelta(days=days), until=until, days=days)
