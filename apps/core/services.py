import secrets

from django.contrib.auth import get_user_model


def ensure_admin_user(*, username: str = "admin") -> str | None:
    """Create a superuser when there is none; return its one-time password (None if one
    existed: it is never shown again)."""
    user_model = get_user_model()
    if user_model.objects.filter(is_superuser=True).exists():
        return None
    password = secrets.token_urlsafe(12)
    user_model.objects.create_superuser(username=username, email="", password=password)
    return password
