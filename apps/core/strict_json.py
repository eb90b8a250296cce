"""Strict JSON decoding for webhook bodies.

The standard library silently keeps the last of duplicated keys, accepts NaN and recurses
until it crashes on deeply nested input; a webhook receiver must reject all of those with a
message that says where the problem is.
"""

import json
import math
import re
import unicodedata
from typing import Any

MAX_DEPTH = 64


class MalformedJSON(ValueError):
    def __init__(self, message: str, *, line: int | None = None, column: int | None = None):
        self.line = line
        self.column = column
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{message}{where}")


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedJSON(f"Duplicated key {key!r} in JSON object")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise MalformedJSON(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise MalformedJSON(f"The number {text[:40]} is out of range")
    return value


def _check_tree(value: Any, limit: int) -> None:
    """Depth, NUL characters and lone surrogates, in one pass without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise MalformedJSON(f"JSON nested deeper than {limit} levels")
        if isinstance(item, dict):
            for key in item:
                _check_string(key)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            _check_string(item)


def _check_string(text: str) -> None:
    found = _UNSTORABLE.search(text)
    if found is None:
        return
    if found.group() == "\x00":
        raise MalformedJSON(_NUL)
    raise MalformedJSON(
        f"A string contains a lone surrogate (\\u{ord(found.group()):04x}), which is not "
        "Unicode text; send the character's full surrogate pair or drop it"
    )


# PostgreSQL can store NUL in neither text nor jsonb; no webhook field needs one. A lone
# UTF-16 surrogate (`"\ud800"` without its pair) decodes in Python but is no character:
# PostgreSQL's jsonb refuses it (a 500 on PostgreSQL only) and it cannot be encoded to UTF-8.
_NUL = "A string contains the NUL character (\\u0000), which is not accepted"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def loads(body: bytes | str) -> Any:
    """Decode a request body, raising MalformedJSON with line and column on any problem."""
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedJSON(f"Body is not valid UTF-8 (byte {exc.start})") from None
    else:
        text = body
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise MalformedJSON("Body is empty; expected a JSON object")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
        )
    except json.JSONDecodeError as exc:
        message = exc.msg
        found = text[exc.pos] if exc.pos < len(text) else ""
        if found and not found.isascii():
            # Invisible or look-alike characters (a no-break space, curly quotes pasted from a
            # wiki page) are the usual culprits; name them, since the sender cannot see them.
            name = unicodedata.name(found, "character")
            message = f"{message}; found U+{ord(found):04X} {name}"
        raise MalformedJSON(message, line=exc.lineno, column=exc.colno) from None
    except RecursionError:
        raise MalformedJSON(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except MalformedJSON:
        raise
    except ValueError:
        # Python refuses to convert integers of thousands of digits (a denial-of-service guard).
        raise MalformedJSON("A number in the JSON has too many digits") from None
    _check_tree(value, MAX_DEPTH)
    return value
