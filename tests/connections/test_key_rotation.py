"""Issue 16 finding 22: FIELD_ENCRYPTION_KEY and TOKEN_HASH_KEY are read by the settings and
rotate: several encryption keys (new writes with the first, reads with any), token digests
checked against the current and previous hash keys, and a command that re-encrypts."""

from io import StringIO

import pytest
from django.core.management import call_command

from apps.connections.models import ApiToken, Connection
from apps.connections.services import authenticate_token
from apps.core import encryption
from tests.factories import ConnectionFactory, token_for

pytestmark = pytest.mark.django_db


def test_the_settings_read_the_documented_variables(monkeypatch):
    import importlib

    import config.settings.base as base

    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", "new-key,old-key")
    monkeypatch.setenv("TOKEN_HASH_KEY", "hash-new,hash-old")
    try:
        reloaded = importlib.reload(base)
        assert reloaded.FIELD_ENCRYPTION_KEYS == ["new-key", "old-key"]
        assert reloaded.TOKEN_HASH_KEYS == ["hash-new", "hash-old"]
    finally:
        monkeypatch.delenv("FIELD_ENCRYPTION_KEY")
        monkeypatch.delenv("TOKEN_HASH_KEY")
        importlib.reload(base)


def test_a_secret_written_with_the_old_key_is_read_after_rotation_and_reencrypted(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["old-key"]
    connection = ConnectionFactory(secret="github-webhook-secret")
    stored = Connection.objects.get().signing_secret_encrypted

    settings.FIELD_ENCRYPTION_KEYS = ["new-key", "old-key"]
    assert Connection.objects.get().get_signing_secret() == "github-webhook-secret"
    out = StringIO()
    call_command("reencrypt_secrets", stdout=out)

    assert "Re-encrypted 1 secrets" in out.getvalue()
    assert Connection.objects.get().signing_secret_encrypted != stored
    settings.FIELD_ENCRYPTION_KEYS = ["new-key"]  # the old key can go now
    assert Connection.objects.get(pk=connection.pk).get_signing_secret() == (
        "github-webhook-secret"
    )


def test_without_the_old_key_the_secret_is_unreadable(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["old-key"]
    ciphertext = encryption.encrypt("s")
    settings.FIELD_ENCRYPTION_KEYS = ["new-key"]

    with pytest.raises(ValueError):
        encryption.decrypt(ciphertext)


def test_rotating_secret_key_with_a_fallback_breaks_no_token_or_secret(settings):
    settings.FIELD_ENCRYPTION_KEYS, settings.TOKEN_HASH_KEYS = [], []
    connection = ConnectionFactory(secret="kept")
    plaintext = token_for(connection)
    old = settings.SECRET_KEY

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "rotated-" + old, [old]

    assert authenticate_token(plaintext=plaintext).connection == connection
    assert Connection.objects.get().get_signing_secret() == "kept"


def test_a_token_hashed_with_the_previous_key_works_and_is_rehashed(settings):
    settings.TOKEN_HASH_KEYS = ["hash-old"]
    plaintext = token_for(ConnectionFactory())
    old_digest = ApiToken.objects.get().digest

    settings.TOKEN_HASH_KEYS = ["hash-new", "hash-old"]
    authenticate_token(plaintext=plaintext)

    assert ApiToken.objects.get().digest != old_digest
    settings.TOKEN_HASH_KEYS = ["hash-new"]
    authenticate_token(plaintext=plaintext)  # the previous key is no longer needed
