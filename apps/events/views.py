"""The activity page: every lifecycle event, newest first, with filters."""

from datetime import UTC, datetime, time

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.connections.models import ConnectionKind, Project
from apps.events import vocabulary
from apps.events.selectors import ActivityFilter, activity

PAGE_SIZE = 50


class ActivityFilterForm(forms.Form):
    project = forms.ModelChoiceField(
        queryset=Project.objects.all(), required=False, to_field_name="slug"
    )
    origin = forms.ChoiceField(choices=[("", "any"), *ConnectionKind.choices], required=False)
    repo = forms.CharField(
        required=False, max_length=300, help_text="owner/name; * matches any part"
    )
    event = forms.CharField(
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "event-names", "placeholder": "deployment.*"}),
    )
    insight = forms.BooleanField(required=False, label="Insight events only")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        required=False,
        label="Until (exclusive)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def to_filter(self) -> ActivityFilter:
        data = self.cleaned_data
        project = data.get("project")
        return ActivityFilter(
            project_id=project.pk if project else None,
            origin=data.get("origin") or "",
            repo=(data.get("repo") or "").strip(),
            event=(data.get("event") or "").strip(),
            insight_only=bool(data.get("insight")),
            # Events span projects and time zones: the day bounds are UTC.
            since=datetime.combine(data["since"], time.min, tzinfo=UTC)
            if data.get("since")
            else None,
            until=datetime.combine(data["until"], time.min, tzinfo=UTC)
            if data.get("until")
            else None,
        )


@login_required
def activity_page(request: HttpRequest) -> HttpResponse:
    form = ActivityFilterForm(request.GET or None)
    filters = form.to_filter() if form.is_bound and form.is_valid() else ActivityFilter()
    if form.is_bound and not form.is_valid():
        events = activity(filters=filters).none()
    else:
        events = activity(filters=filters)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "events/activity.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "vocabulary": vocabulary.VOCABULARY,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
