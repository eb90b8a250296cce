from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from apps.core import strict_json
from apps.core.errors import Code


class StrictJSONParser(JSONParser):
    """DRF parser that reports line and column, and rejects duplicated keys and NaN."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return strict_json.loads(stream.read())
        except strict_json.MalformedJSON as exc:
            raise ParseError(f"Malformed JSON: {exc}", code=Code.MALFORMED_JSON) from None
