from apps.deployments.inference import infer_intermediate_commits
from apps.ingest.followups import on_effect


@on_effect("deployments")
def complete_head_only_deployments(ids: list[int]) -> None:
    # Registered before the metrics app's handler (INSTALLED_APPS order), so the links and
    # recomputes that follow see the completed commit sets.
    infer_intermediate_commits(deployment_ids=ids)
