import pytest

from tests.derive.helpers import Sender


@pytest.fixture
def post(api, sender, django_capture_on_commit_callbacks) -> Sender:
    return Sender(api, sender, django_capture_on_commit_callbacks)
