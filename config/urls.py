from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import (
    LoginView,
    LogoutView,
    PasswordChangeDoneView,
    PasswordChangeView,
)
from django.http import HttpRequest, HttpResponseBase
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.core.login_throttle import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm
from apps.core.views import healthz
from apps.dashboards.views import OverviewPage
from apps.deployments.views import DeploymentListView
from apps.ingest.views import ReceiverView
from apps.integrations.ctoai.receivers import EventsApiReceiver
from apps.issues.views import IssueListView

_overview = OverviewPage.as_view()
_ctoai_events = ReceiverView.for_receiver(EventsApiReceiver)


def root(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
    """`/` is the dashboard for people (GET) and CTO.ai's Events API for machines (POST:
    CTO.ai's clients post to the root of whatever host they are given)."""
    if request.method in ("POST", "OPTIONS"):
        return _ctoai_events(request, *args, **kwargs)
    return _overview(request, *args, **kwargs)


root.csrf_exempt = True  # type: ignore[attr-defined]  # POST is token-authenticated, never a form
# What the admin's "send a test delivery" looks up to find the receiver behind a path.
root.view_initkwargs = {"receiver_class": EventsApiReceiver}  # type: ignore[attr-defined]

admin.site.login_form = ThrottledAdminAuthenticationForm
admin.site.site_header = "DORA Hub administration"
admin.site.site_title = "DORA Hub"

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    # Not django.contrib.auth.urls: its password reset mails a link, and DORA Hub ships no
    # mail setup (a failed send would be a 500); staff reset passwords in the admin instead.
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password_change/done/",
        PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/deployments", DeploymentListView.as_view(), name="deployment-list"),
    path("api/v1/issues", IssueListView.as_view(), name="issue-list"),
    path("", root, name="root"),
    path("", include("apps.metrics.urls")),
    path("", include("apps.integrations.urls")),
    path("", include("apps.events.urls")),
    path("", include("apps.dashboards.urls")),
]

handler404 = "apps.core.exceptions.handler404"
handler500 = "apps.core.exceptions.handler500"

if settings.DORAHUB_BENCH_ENDPOINT:
    from django.views.decorators.csrf import csrf_exempt

    from apps.core.views import bench_bare

    urlpatterns.insert(0, path("bench/bare", csrf_exempt(bench_bare), name="bench-bare"))
