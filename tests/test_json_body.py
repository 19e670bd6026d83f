"""A body orjson reads (web/json_body.py) gives what json.loads gave it; every other body is read as before."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException

from shoefit.web import json_body
from shoefit.web.json_body import MAX_DEPTH, Oversized, _parse, _parse_strictly, unreadable

# Numbers at the edges of both readers: 64 bits, 19 digits, floats that round, overflow or lose their sign.
NUMBERS = st.sampled_from(
    [
        "0",
        "-0",
        "-0.0",
        "1e400",
        "-1e400",
        "1e-400",
        "5e-324",
        "1.7976931348623157e308",
        "1.7976931348623159e308",
        "9223372036854775807",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "18446744073709551616",
        "1" * 18,
        "1" * 19,
        "1" * 101,
        "0.1000000000000000055511151231257827",
        "1E+2",
        "NaN",
        "-Infinity",
        "01",
        "1.",
        ".5",
        "+1",
    ]
)
SCALARS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    NUMBERS,
    st.sampled_from(["true", "false", "null"]),
    st.text(max_size=6).map(lambda text: json.dumps(text, ensure_ascii=False)),
    st.text(max_size=6).map(json.dumps),  # lone surrogates and NUL as escapes
    st.sampled_from(['"\\ud83d\\ude00"', '"\\u00e9"', '"\\uFEFF"', '"a\\u0000"', '"\\\\ud800"']),
)


def _array(items):
    return "[" + ",".join(items) + "]"


def _object(pairs):
    return "{" + ",".join(f"{key}:{value}" for key, value in pairs) + "}"


DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4).map(_array)
        | st.lists(
            st.tuples(st.sampled_from(['"a"', '"b"', '"\\u0061"', '"\\ud800"']) | SCALARS, inner), max_size=4
        ).map(_object)
    ),
    max_leaves=12,
)
# Bytes that make near misses: a bracket too many, a stray quote or escape, a BOM, bytes that are not UTF-8.
NOISE = st.sampled_from(
    [b"{", b"}", b"[", b"]", b",", b":", b'"', b"\\", b"\\u", b" ", b"\t", b"\x0c", b"\x00", b"\xef\xbb\xbf", b"\xff"]
)


@st.composite
def bodies(draw):
    data = draw(DOCUMENTS).encode("utf-8", "surrogatepass")
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(NOISE) + data[at + draw(st.integers(0, 1)) :]
    return data


def outcome(parse, data):
    """What a reader makes of `data`: the value with the type of every part and what the walk finds, or the
    problem it stops with."""
    try:
        value, suspect = parse(data)
    except HTTPException as exc:
        return exc.code, exc.data
    return typed(value), unreadable(value) if suspect else []


def typed(value):
    if isinstance(value, dict):
        return [(key, typed(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [typed(item) for item in value]
    if isinstance(value, Oversized):
        return ("Oversized", value.digits)
    return (type(value).__name__, repr(value))


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=bodies())
def test_every_body_is_read_as_json_reads_it(data):
    assert outcome(_parse, data) == outcome(_parse_strictly, data)


@pytest.mark.parametrize(
    "data",
    [
        b'{"limit": 18446744073709551616}',  # orjson: a float
        b'{"limit": -9223372036854775809}',
        b'{"limit": 1e400}',  # orjson refuses what json reads as infinity
        b'{"max_price": NaN}',
        b'{"brands": ["\\ud800"]}',
        b'{"a": 1, "b": 2, "a": 3}',
        b"\xef\xbb\xbf{}",
        b"[" * MAX_DEPTH + b"]" * MAX_DEPTH,
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        b" ",
        b'{"a": "\xff"}',
    ],
)
def test_what_orjson_reads_otherwise_is_left_to_json(data):
    assert outcome(_parse, data) == outcome(_parse_strictly, data)


def test_a_plain_body_is_read_by_orjson(monkeypatch):
    monkeypatch.setattr(json_body, "_parse_strictly", None)
    assert _parse(b'{"arch_type": "high", "pain": {"days": 4}, "symptoms": ["night_pain"]}')[0]["pain"] == {"days": 4}
