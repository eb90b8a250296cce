import pytest

from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/admin/login/", "/accounts/login/"])
def test_repeated_failed_logins_lock_the_account_out_even_with_the_right_password(client, url):
    StaffFactory(username="alice")
    for _ in range(5):
        response = client.post(url, {"username": "alice", "password": "wrong"})
        assert response.status_code == 200

    right = client.post(url, {"username": "alice", "password": "correct horse battery staple"})

    assert right.status_code == 200
    assert "Too many failed login attempts" in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_correct_password_logs_in_before_the_limit(client):
    StaffFactory(username="bob")
    client.post("/accounts/login/", {"username": "bob", "password": "wrong"})
    response = client.post(
        "/accounts/login/", {"username": "bob", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
