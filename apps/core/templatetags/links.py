from django import template
from django.utils.safestring import SafeString

from apps.core import links

register = template.Library()


@register.filter
def external_link(url: object, text: str = "source") -> SafeString:
    """`{{ incident.url|external_link:"source" }}`: a link only for http(s) URLs."""
    return links.external_link(url, text)
