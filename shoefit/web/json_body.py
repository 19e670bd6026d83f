"""A request's JSON body, read once and strictly: what the service cannot represent is refused here, by its path.

Python's json module reads documents that break later: nesting deep enough to exhaust the recursion limit,
integers too long for int() (4,300 digits), lone surrogates (no UTF-8 encodes them, so echoing one in an error
or storing it fails) and NUL (PostgreSQL's text and jsonb refuse it). Every body this API takes is a JSON object
at most 4 levels deep, holding small numbers and short texts, so the limits below refuse only crafted input.
Nearly every body orjson reads, to the values json gives, in a fraction of the time; the others json reads.
Views that flask-smorest loads read the body through `Blueprint`'s parser; others call `body()`. A PATCH's body
is a JSON merge patch, applied here too.
"""

import json
import re
from itertools import accumulate

import flask
import flask_smorest
import marshmallow as ma
import orjson
from flask_smorest import abort
from webargs.flaskparser import FlaskParser

from .plain_bodies import loader
from .problems import refuse

MAX_DEPTH = 32
MAX_INT_DIGITS = 100
TRUNCATED_DIGITS = 12

# Strings first, so that brackets inside them do not count; unrolled, so that a 4 MB body is one linear pass.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# Only these escapes make a lone surrogate or a NUL (raw ones are not UTF-8, or not JSON); a long run of digits
# may be an integer. A body with none of them (nearly every one) needs no walk.
_ESCAPES = re.compile(r"\\u(?:[dD][89a-fA-F]|0000)")
_LONG_DIGITS = re.compile(r"\d{%d}" % (MAX_INT_DIGITS + 1))
# orjson reads what json reads to the same values, several times faster, but an integer beyond 64 bits as a float:
# a body with a run of 19 digits (the fewest such an integer has) is left to json, as is one the walk must see. The
# run is found with every digit made a 0 (a fifth of a regular expression's time).
_ORJSON_ESCAPES = re.compile(_ESCAPES.pattern.encode())
_DIGITS_AS_ZEROS = bytes.maketrans(b"0123456789", b"0" * 10)
_DIGITS_BEYOND_ORJSON = b"0" * 19
_PARSED = "shoefit_json_body"  # in flask.g: (the body, whether it needs the walk)
# webargs' `unknown` when a view names none: the schema's own (RAISE for every schema here) for a JSON body.
_SCHEMAS_OWN = "_default"


class Oversized:
    """An integer too long to read, kept only until `unreadable` names where it was."""

    def __init__(self, digits):
        self.digits = digits


def body(items_alone=None):
    """The request's body, parsed once: a JSON object, or the request stops with a problem.

    400 when it is empty, not UTF-8, not JSON or nested deeper than MAX_DEPTH; 422 when it is not an object or
    holds a value `unreadable` names. `items_alone` is a list field whose items the view judges one by one (with
    `unreadable`), so that one bad item does not fail the others.
    """
    # The objects behind Flask's proxies, looked up once rather than at every use.
    g = flask.g._get_current_object()
    if _PARSED not in g:
        setattr(g, _PARSED, _parse(_read(flask.request._get_current_object())))
    value, suspect = getattr(g, _PARSED)
    if not isinstance(value, dict):
        refuse([{"field": "(body)", "value": value, "message": f"must be a JSON object, not {_kind(value)}"}])
    if suspect:
        errors = unreadable({k: v for k, v in value.items() if k != items_alone or not isinstance(v, list)})
        if errors:
            refuse(errors)
    return value


def unreadable(value):
    """Field errors [{field, value, message}] for what `value` holds that the service cannot represent: an
    integer over MAX_INT_DIGITS digits, a lone surrogate or NUL in a text or a key."""
    errors = []
    _walk(value, [], errors)
    return errors


def _read(request):
    data = request.get_data(cache=True)
    limit = request.max_content_length
    # Werkzeug stops a body without Content-Length (chunked) at the limit and hands over what it read: a byte
    # beyond it means the body was cut short, which must not look like malformed JSON. (The length first: it is
    # cheap, where content_length parses the header again.)
    if limit is not None and len(data) >= limit and request.content_length is None:
        if request.environ["wsgi.input"].read(1):
            abort(413, message=f"The body is over the {limit:,} bytes this endpoint takes.")
    return data


def _parse(data):
    if _orjson_reads(data):
        try:
            return orjson.loads(data), False
        except orjson.JSONDecodeError:
            pass  # json's words say what is wrong, as they always have
    return _parse_strictly(data)


def _orjson_reads(data):
    """Whether what orjson reads of `data` is what _parse_strictly would give: no escape for the walk, no integer
    orjson would turn into a float, too few brackets to nest too deep. What orjson refuses (not UTF-8, not JSON,
    1e400, NaN...) _parse_strictly reads or refuses in its own words."""
    return (
        data.count(b"[") + data.count(b"{") <= MAX_DEPTH
        and (b"\\u" not in data or _ORJSON_ESCAPES.search(data) is None)
        and _DIGITS_BEYOND_ORJSON not in data.translate(_DIGITS_AS_ZEROS)
    )


def _parse_strictly(data):
    if not data.strip():
        _malformed("The request body is empty: send a JSON object ({} when there is nothing to say).")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _malformed(f"The request body is not UTF-8 (byte {exc.start}).")
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(text) > MAX_DEPTH:
        _malformed(f"The request body nests arrays and objects deeper than {MAX_DEPTH} levels.")
    # Two searches, the first only where there is a \u at all: as one alternation, both are tried at every character.
    suspect = ("\\u" in text and _ESCAPES.search(text) is not None) or _LONG_DIGITS.search(text) is not None
    try:
        return json.loads(text, parse_int=_integer if suspect else None, parse_constant=_not_json), suspect
    except json.JSONDecodeError as exc:
        _malformed(f"The request body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.")


def _depth(text):
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _integer(digits):
    return Oversized(digits) if len(digits.lstrip("-")) > MAX_INT_DIGITS else int(digits)


def _not_json(name):
    _malformed(f"The request body is not valid JSON: {name} is not a JSON number.")


def _malformed(detail):
    abort(400, title="Malformed JSON", message=detail)


def _walk(value, path, errors):
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _text_problem(key)
            if problem:
                errors.append({"field": _name([*path, _escaped(key)]), "message": f"in this key, {problem}"})
            else:
                _walk(item, [*path, key], errors)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, [*path, index], errors)
    elif isinstance(value, Oversized):
        shown = f"{value.digits[:TRUNCATED_DIGITS]}..."
        message = f"an integer of {len(value.digits.lstrip('-'))} digits: at most {MAX_INT_DIGITS} are read"
        errors.append({"field": _name(path), "value": shown, "message": message})
    elif isinstance(value, str):
        problem = _text_problem(value)
        if problem:
            errors.append({"field": _name(path), "value": _escaped(value), "message": problem})


def _text_problem(text):
    if "\x00" in text:
        return "NUL (\\u0000) is accepted in no text"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate (\\ud800-\\udfff without its pair) is not a character"
    return None


def _escaped(text):
    # Shown as the escapes that were sent, so that the answer itself can be encoded and read.
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\u0000")


def _name(path):
    return ".".join(str(p) for p in path) or "(body)"


def _kind(value):
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def merge_patch(target, patch):
    """RFC 7396: `patch` applied to `target` (neither is changed)."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict):
            current = merged.get(key)
            merged[key] = merge_patch(current if isinstance(current, dict) else {}, value)
        else:
            merged[key] = value
    return merged


class Parser(FlaskParser):
    """webargs' parser with the body read by `body()`: one reading of JSON for every view; a plain body loaded
    without marshmallow (plain_bodies.py)."""

    def load_json(self, req, schema):
        return body(getattr(schema, "ITEMS_JUDGED_ALONE", None))

    def parse(self, argmap, req=None, *, location=None, unknown=_SCHEMAS_OWN, validate=None, **kwargs):
        if (location or self.location) == "json" and not validate and unknown in (_SCHEMAS_OWN, None, ma.RAISE):
            load = loader(argmap) if isinstance(argmap, ma.Schema) and self.unknown == _SCHEMAS_OWN else None
            loaded = load(self.load_json(req, argmap)) if load is not None else None
            if loaded is not None:
                return loaded
        return super().parse(argmap, req, location=location, unknown=unknown, validate=validate, **kwargs)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, its views' JSON bodies read by `body()`."""

    ARGUMENTS_PARSER = Parser()
