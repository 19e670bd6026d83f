"""JSON Lines rows to Profiles: each line a request body with an "id", loaded as the API loads a body."""

import json
import math

import orjson

from ..core.validation import InvalidProfile, load_profile
from .rows import RowError, _error, _text

# orjson reads an integer beyond 64 bits as a float (an id's digits lost): a row with a run of 19 digits, the fewest
# such an integer has, is read by json instead. The run is found with every digit made a 0.
_DIGITS_AS_ZEROS = bytes.maketrans(b"0123456789", b"0" * 10)
_DIGITS_BEYOND_ORJSON = b"0" * 19


class JsonRows:
    """JSON Lines rows: {"id": ..., request body}, loaded as the API loads a request body."""

    def __init__(self, catalog):
        self.catalog = catalog

    def read(self, line, raw):
        """(id, Profile, limit the row asks for or None); RowError if the row is invalid or asks for unknown brands."""
        try:
            body = _loads(raw)
        except (ValueError, RecursionError) as exc:  # both JSONDecodeErrors are ValueErrors
            raise RowError([_error("", _clip(raw), f"malformed JSON: {exc}")]) from None
        if not isinstance(body, dict):
            raise RowError([_error("", _clip(raw), "expected a JSON object")])
        key = body.pop("id", None)
        if isinstance(key, bool) or not isinstance(key, (str, int, type(None))):
            raise RowError([_error("id", _text(key), "must be a string or an integer")])
        key = str(key) if key not in (None, "") else str(line)
        try:
            profile = load_profile(body, self.catalog)
        except InvalidProfile as exc:
            raise RowError([_error(e["field"], _text(e.get("value")), e["message"]) for e in exc.errors], key) from None
        return key, profile, profile.limit if "limit" in body else None


def _loads(raw):
    """A row's JSON as json reads it (orjson where the two agree, nearly always); what orjson refuses stays refused:
    NaN and Infinity, a number beyond a double (1e400), a lone surrogate (no UTF-8 file can hold it)."""
    if _DIGITS_BEYOND_ORJSON not in raw.translate(_DIGITS_AS_ZEROS):
        return orjson.loads(raw)
    body = json.loads(raw, parse_constant=_not_json, parse_float=_double)
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a lone surrogate (\\ud800-\\udfff without its pair) is not a character") from None
    return body


def _not_json(name):
    raise ValueError(f"{name} is not a JSON number")


def _double(text):
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text} is beyond a double")
    return number


def _clip(raw, size=200):
    return raw[:size].decode("utf-8", "replace").rstrip("\r\n")
