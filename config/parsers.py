"""The API's JSON parser: strict JSON only, so odd input is a 400, never a 500.

DRF's parser already refuses NaN and Infinity (STRICT_JSON); this one also refuses
documents nested deeper than MAX_DEPTH, which would otherwise exhaust Python's recursion
limit while parsing or while storing them in a JSON column.
"""

import codecs
import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


def _strict_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON; send numbers as finite values")


def json_depth_ok(value: Any, *, limit: int = MAX_DEPTH) -> bool:
    """Tell whether a parsed JSON value nests at most `limit` arrays/objects deep."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


def loads_strict(text: str | bytes) -> Any:
    """Parse JSON refusing NaN/Infinity and deep nesting; raise ValueError with a reason."""
    try:
        value = json.loads(text, parse_constant=_strict_constant)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep") from None
    if not json_depth_ok(value):
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
    return value


class StrictJSONParser(JSONParser):
    """application/json bodies, parsed with `loads_strict`."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return loads_strict(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error: {exc}.") from None
