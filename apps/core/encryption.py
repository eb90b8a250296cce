"""Encryption at rest for signing secrets: Fernet keys derived from settings, several at once
so keys can rotate (MultiFernet: new writes with the first key, reads with any)."""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=16)
def _fernet(key_material: str) -> Fernet:
    digest = hashlib.sha256(f"dorahub-field-encryption:{key_material}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def key_materials() -> list[str]:
    """FIELD_ENCRYPTION_KEY (comma-separated, newest first), else SECRET_KEY and its
    fallbacks."""
    configured = [k for k in getattr(settings, "FIELD_ENCRYPTION_KEYS", []) if k]
    if configured:
        return configured
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def _keys() -> MultiFernet:
    return MultiFernet([_fernet(material) for material in key_materials()])


def encrypt(plaintext: str) -> str:
    return _keys().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return _keys().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ValueError("Stored secret cannot be decrypted with any configured key") from None


def reencrypt(ciphertext: str) -> str:
    """The same secret encrypted with the current (first) key."""
    try:
        return _keys().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise ValueError("Stored secret cannot be decrypted with any configured key") from None
