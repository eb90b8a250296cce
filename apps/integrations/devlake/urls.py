"""DevLake's URL shapes (DORA Hub's native routes are in apps/integrations/native).

DevLake's webhook plugin is reached three ways (server/api/middlewares.go, config-ui's nginx):
`/api/rest/plugins/webhook/...` through its UI proxy and `/rest/plugins/webhook/...` on the
backend port, both with an API key, and `/plugins/webhook/...` (also `/api/plugins/...`)
without one. The keyed forms answer as DevLake does; the keyless ones say a token is needed.
"""

from django.urls import path

from apps.ingest.views import ReceiverView
from apps.integrations.devlake.receivers import (
    DevLakeDeploymentsReceiver,
    DevLakeIssueCloseReceiver,
    DevLakeIssuesReceiver,
    DevLakeKeylessReceiver,
    DevLakeProjectDeploymentsReceiver,
    DevLakePullRequestsReceiver,
)

_DEVLAKE_ROOTS = [
    ("api/rest/plugins/webhook/", "devlake"),
    ("rest/plugins/webhook/", "devlake-rest"),
]
_CONNECTION_FORMS = [
    ("<int:connection_id>/", ""),
    ("connections/<int:connection_id>/", "-conn"),
    ("connections/by-name/<str:connection_name>/", "-name"),
]
_DEVLAKE_ROUTES = [
    ("deployments", DevLakeDeploymentsReceiver, "deployments"),
    ("pull_requests", DevLakePullRequestsReceiver, "pull-requests"),
    ("issues", DevLakeIssuesReceiver, "issues"),
    ("issue/<str:issue_key>/close", DevLakeIssueCloseReceiver, "issue-close"),
]

urlpatterns = []
for root, root_name in _DEVLAKE_ROOTS:
    for form, form_name in _CONNECTION_FORMS:
        for suffix, receiver, name in _DEVLAKE_ROUTES:
            urlpatterns.append(
                path(
                    f"{root}{form}{suffix}",
                    ReceiverView.for_receiver(receiver),
                    name=f"{root_name}{form_name}-{name}",
                )
            )
    urlpatterns.append(
        path(
            f"{root}projects/<str:project_name>/deployments",
            ReceiverView.for_receiver(DevLakeProjectDeploymentsReceiver),
            name=f"{root_name}-project-deployments",
        )
    )
for keyless in ("plugins/webhook/<path:rest>", "api/plugins/webhook/<path:rest>"):
    urlpatterns.append(
        path(
            keyless,
            # Not in the schema: no credential is accepted there.
            ReceiverView.for_receiver(DevLakeKeylessReceiver, schema=None),
            name=f"keyless-{keyless[:3]}",
        )
    )
