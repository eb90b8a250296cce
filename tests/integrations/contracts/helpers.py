"""Reading back what a real client's requests produced, through the read APIs a person or a
script would use (never the ORM), so each contract test checks what a user would see."""

from typing import Any

from rest_framework.test import APIClient

MARCH = {"since": "2024-03-01", "until": "2024-04-01"}


def read(path: str, token: str, **params: Any) -> Any:
    response = APIClient().get(path, params, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return response.json()


def deployments(token: str, **params: Any) -> list[dict[str, Any]]:
    body = read("/api/v1/deployments", token, **params)
    return body["results"] if isinstance(body, dict) else body


def issues(token: str, **params: Any) -> list[dict[str, Any]]:
    body = read("/api/v1/issues", token, **params)
    return body["results"] if isinstance(body, dict) else body


def metrics(token: str, **params: Any) -> dict[str, Any]:
    return read("/api/v1/metrics/dora", token, **(MARCH | params))
