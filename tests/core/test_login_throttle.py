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


@pytest.mark.parametrize("spelling", [" alice", "alice ", "ALICE", "Alice\t", "ａｌｉｃｅ"])
def test_another_spelling_of_a_locked_username_is_locked_too(client, spelling):
    """Issue 16 finding 2: the form strips and NFKC-normalises the username; the counter too."""
    StaffFactory(username="alice")
    for _ in range(5):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})

    response = client.post(
        "/accounts/login/", {"username": spelling, "password": "correct horse battery staple"}
    )

    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_behind_the_trusted_proxy_one_client_does_not_lock_out_another(client, settings):
    """Issue 16 finding 3: every request comes from the proxy's address; the client is the
    address the proxy appended to X-Forwarded-For."""
    settings.DORAHUB_TRUSTED_PROXIES = 1
    StaffFactory(username="alice")
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(5):
        client.post(
            "/accounts/login/",
            {"username": "alice", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="203.0.113.9",
            **proxy,
        )
    locked = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "correct horse battery staple"},
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9",  # a forged left entry changes nothing
        **proxy,
    )
    assert "Too many failed login attempts" in locked.content.decode()

    other = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "correct horse battery staple"},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
        **proxy,
    )

    assert other.status_code == 302
