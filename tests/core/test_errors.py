"""One vocabulary of error codes (`apps.core.errors.Code`), mapped to HTTP by one handler; the
code that commands and tasks call raises application errors, never HTTP ones."""

import ast
import re
from pathlib import Path

import pytest
from rest_framework import exceptions

from apps.core import errors
from apps.core.errors import Code
from apps.core.exceptions import PayloadTooLarge, ServiceUnavailable, exception_to_response

APPS = Path(__file__).resolve().parents[2] / "apps"


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (
            errors.InvalidInput(fields={"path.x": ["NUL characters are not allowed."]}),
            400,
            "validation_error",
        ),
        (
            errors.Unauthenticated("This API token has expired.", code=Code.TOKEN_EXPIRED),
            401,
            "token_expired",
        ),
        (errors.Forbidden("Not yours.", code=Code.WRONG_CONNECTION), 403, "wrong_connection"),
        (errors.Missing("No issue with key 'X' on this connection."), 404, "not_found"),
        (errors.Conflict("Already there."), 409, "conflict"),
        (errors.TooLarge("Too big."), 413, "payload_too_large"),
        (errors.RateLimited("Slow down.", wait=7), 429, "throttled"),
        (errors.Unavailable("Down."), 503, "service_unavailable"),
    ],
)
def test_each_application_error_has_one_status_and_its_code(error, status, code):
    response = exception_to_response(error)

    assert response.status_code == status
    assert response.data["error"]["code"] == code


def test_invalid_input_names_each_field_and_a_rate_limit_says_when_to_retry():
    invalid = exception_to_response(errors.InvalidInput(fields={"headers.X": ["Bad."]}))
    limited = exception_to_response(errors.RateLimited("Slow down.", wait=7))

    assert invalid.data["error"]["fields"] == {"headers.X": ["Bad."]}
    assert invalid.data["error"]["message"] == "Invalid input: headers.X: Bad."
    assert limited["Retry-After"] == "7"


@pytest.mark.parametrize(
    "exception",
    [
        exceptions.ParseError(),
        exceptions.AuthenticationFailed(),
        exceptions.NotAuthenticated(),
        exceptions.PermissionDenied(),
        exceptions.NotFound(),
        exceptions.MethodNotAllowed("PUT"),
        exceptions.NotAcceptable(),
        exceptions.UnsupportedMediaType("text/csv"),
        exceptions.Throttled(wait=3),
        exceptions.ValidationError({"a": ["bad"]}),
        PayloadTooLarge(),
        ServiceUnavailable(),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_every_drf_exception_answers_with_a_code_of_the_vocabulary(exception):
    code = exception_to_response(exception).data["error"]["code"]

    assert code in set(Code)


def python_sources() -> list[Path]:
    return [path for path in APPS.rglob("*.py") if "migrations" not in path.parts]


def test_no_module_spells_an_error_code_itself():
    """`code="..."` anywhere but the vocabulary is how two spellings of one error come back."""
    spelled = re.compile(r"""\bcode=["']""")
    offenders = [
        f"{path.relative_to(APPS)}:{number}"
        for path in python_sources()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if spelled.search(line)
    ]
    assert offenders == []


def is_service_layer(path: Path) -> bool:
    return path.name in ("services.py", "selectors.py", "tasks.py") or "commands" in path.parts


def test_services_selectors_tasks_and_commands_import_no_http_vocabulary():
    offenders = []
    for path in python_sources():
        if not is_service_layer(path):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            offenders += [
                f"{path.relative_to(APPS)}: {name}"
                for name in names
                if name.startswith("rest_framework") or name == "django.http"
            ]
    assert offenders == []
