"""Links to what a sender told us (an incident's page, a build's log): only `http` and `https`
become links. A `javascript:` or `data:` URL sent by any token holder would otherwise run in
the browser of the person who clicks it, with their session (stored XSS)."""

from urllib.parse import urlsplit

from django.utils.html import format_html
from django.utils.safestring import SafeString

WEB_SCHEMES = frozenset({"http", "https"})


def web_url(value: object) -> str:
    """`value` if it is an absolute http(s) URL, else "". Control characters and whitespace
    are refused outright: browsers drop them from a scheme (`java\\tscript:`)."""
    if not isinstance(value, str):
        return ""
    url = value.strip()
    if not url or any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.netloc:
        return ""
    return url


def external_link(url: object, text: str) -> SafeString:
    """An `<a>` to a sender's URL when it is a web URL; otherwise the URL as plain text, so
    the person still sees what was sent."""
    safe = web_url(url)
    if safe:
        return format_html('<a href="{}" rel="noopener noreferrer nofollow">{}</a>', safe, text)
    return format_html("{}", url or "")
