"""Repository URL normalisation: the same repository posted two ways is one row."""

import re
from urllib.parse import urlsplit, urlunsplit

_SCP_LIKE = re.compile(r"^(?P<user>[\w.\-]+@)?(?P<host>[\w.\-]+):(?P<path>(?!//)[^\s]+)$")


def normalize_url(raw: str) -> str:
    """`HTTPS://GitHub.com/Acme/App.git/` and `git@github.com:Acme/App.git` both become
    `https://github.com/Acme/App`; a bare name such as `repo-1` is kept as sent."""
    value = raw.strip()
    match = _SCP_LIKE.match(value)
    if match and "/" in match["path"] and "." in match["host"]:
        value = f"https://{match['host']}/{match['path']}"
    parts = urlsplit(value)
    if not parts.scheme or not parts.netloc:
        return _strip_suffixes(value)
    scheme = parts.scheme.lower()
    if scheme in ("git", "ssh", "git+ssh", "http"):
        scheme = "https"
    host = parts.hostname.lower() if parts.hostname else ""
    if parts.port and parts.port not in (22, 80, 443):
        host = f"{host}:{parts.port}"
    return urlunsplit((scheme, host, _strip_suffixes(parts.path), "", ""))


def _strip_suffixes(path: str) -> str:
    path = path.rstrip("/")
    if path.lower().endswith(".git"):
        path = path[:-4]
    return path.rstrip("/")


def display_name(normalized: str) -> str:
    parts = urlsplit(normalized)
    path = parts.path.strip("/") if parts.netloc else normalized
    return path or normalized
