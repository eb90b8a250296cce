"""Server-rendered pages for engineering managers. Figures come from the metrics selectors and
their rows from `apps.metrics.selectors.figure_rows`; these views pick the subject and scope, call
selectors and render."""

from apps.dashboards.views.base import FilteredListPage, SubjectPageMixin
from apps.dashboards.views.details import AttributionView, DeploymentDetailPage, IncidentDetailPage
from apps.dashboards.views.lists import ChangeListPage, DeploymentListPage, IncidentListPage
from apps.dashboards.views.pages import CIPage, CoveragePage, DashboardPage, OverviewPage

__all__ = [
    "AttributionView",
    "CIPage",
    "ChangeListPage",
    "CoveragePage",
    "DashboardPage",
    "DeploymentDetailPage",
    "DeploymentListPage",
    "FilteredListPage",
    "IncidentDetailPage",
    "IncidentListPage",
    "OverviewPage",
    "SubjectPageMixin",
]
