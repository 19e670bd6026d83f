"""Bodies a schema takes as they are, loaded in plain Python; marshmallow judges every other body.

marshmallow walks each field of a schema through several layers of calls for every body: for the profile schema
that costs a POST more than Flask does. Nearly every body is plain: each value of exactly the type its field
reads (a text, a whole number, a number, true or false, a list, an object), within the field's validators, no key
the schema lacks and none it requires missing. For those, a loader built once from the schema's own fields gives
what schema.load() gives; for any other body it gives None, and marshmallow loads it as ever, errors and all. Only
the field types, validators and hooks named below are followed: a schema with anything else gets no loader.
tests/test_plain_bodies.py holds the loaders to marshmallow's answers.
"""

import functools
import math

import marshmallow as ma
from marshmallow import fields, validate

from ..core.validation import StrictBoolean

# What a reader gives for a value marshmallow must judge (None is a value a field may load).
NOT_PLAIN = object()
_NUMBERS = (int, float)


class _Unsupported(Exception):
    """The schema has something these loaders do not follow."""


@functools.cache
def loader(schema):
    """For a schema instance: body -> schema.load(body), or None where marshmallow must judge. None for a schema
    these loaders cannot follow. Built once per instance (the views' schemas live as long as the app)."""
    try:
        read = _schema(schema)
    except _Unsupported:
        return None

    def load(body):
        loaded = read(body)
        return None if loaded is NOT_PLAIN else loaded

    return load


def _schema(schema):
    hooks = type(schema)._hooks  # marshmallow's resolved @pre_load, @post_load, @validates... methods
    if schema.many or schema.partial or schema.unknown != ma.RAISE:
        raise _Unsupported
    if hooks["pre_load"] or hooks["validates"] or hooks["validates_schema"]:
        raise _Unsupported
    if any(many or options.get("pass_original") for _, many, options in hooks["post_load"]):
        raise _Unsupported
    post_load = [getattr(schema, name) for name, _, _ in hooks["post_load"]]
    plan = [(name, field.required, field.load_default, _field(field)) for name, field in schema.load_fields.items()]
    names = frozenset(schema.load_fields)

    def read(body):
        if type(body) is not dict or not names.issuperset(body):
            return NOT_PLAIN
        loaded = {}
        for name, required, default, read_value in plan:
            if name in body:
                value = read_value(body[name])
                if value is NOT_PLAIN:
                    return NOT_PLAIN
                loaded[name] = value
            elif required:
                return NOT_PLAIN
            elif default is not ma.missing:
                # As marshmallow gives a default: as it is, not validated.
                loaded[name] = default() if callable(default) else default
        for hook in post_load:
            loaded = hook(loaded, many=False, partial=schema.partial, unknown=schema.unknown)
        return loaded

    return read


def _field(field):
    """value -> the field's loaded value, or NOT_PLAIN."""
    if field.data_key is not None or field.attribute is not None or field.pre_load or field.post_load:
        raise _Unsupported
    kind = type(field)
    checks = [_validator(check) for check in field.validators]
    if kind is fields.String:
        return _of_type(str, field.validators, checks)
    if kind is fields.Integer:
        return _of_type(int, field.validators, checks)  # not bool, which marshmallow refuses as a number
    if kind is fields.Float and not field.as_string:
        return _checked(_float, checks)
    if kind is StrictBoolean or kind is fields.Boolean and True in field.truthy and False in field.falsy:
        return _of_type(bool, field.validators, checks)
    if kind is fields.List:
        return _checked(_list(_field(field.inner)), checks)
    if kind is fields.Nested and not field.many and field.unknown in (None, ma.RAISE):
        return _checked(_schema(field.schema), checks)
    raise _Unsupported


# The readers below are called for every value of every body: the common fields' type test and validator are one
# function rather than a chain of them.


def _checked(read, checks):
    if not checks:
        return read
    if len(checks) == 1:
        (check,) = checks

        def checked(value):
            value = read(value)
            return value if value is not NOT_PLAIN and check(value) else NOT_PLAIN

    else:

        def checked(value):
            value = read(value)
            return value if value is not NOT_PLAIN and all(check(value) for check in checks) else NOT_PLAIN

    return checked


def _of_type(kind, validators, checks):
    """Values of exactly `kind` that `checks` (made of `validators`) pass: a term or an integer in a closed range
    in one test."""
    if not validators:
        return lambda value: value if type(value) is kind else NOT_PLAIN
    if len(validators) == 1:
        (validator,) = validators
        if kind is str and type(validator) is validate.OneOf and all(type(c) is str for c in validator.choices):
            texts = frozenset(validator.choices)
            return lambda value: value if type(value) is str and value in texts else NOT_PLAIN
        if kind is int and type(validator) is validate.Range and _inclusive(validator):
            low, high = validator.min, validator.max
            return lambda value: value if type(value) is int and low <= value <= high else NOT_PLAIN
    return _checked(lambda value: value if type(value) is kind else NOT_PLAIN, checks)


def _inclusive(check):
    return check.min is not None and check.max is not None and check.min_inclusive and check.max_inclusive


def _float(value):
    if type(value) not in _NUMBERS:
        return NOT_PLAIN
    try:
        number = float(value)
    except OverflowError:
        return NOT_PLAIN
    # marshmallow's allow_nan=False refuses infinities too (json reads 1e400 as one); allow_nan=True keeps them,
    # but a plain body has none.
    return number if math.isfinite(number) else NOT_PLAIN


def _list(read_item):
    def read(value):
        if type(value) is not list:
            return NOT_PLAIN
        items = []
        for item in value:
            item = read_item(item)
            if item is NOT_PLAIN:
                return NOT_PLAIN
            items.append(item)
        return items

    return read


def _validator(check):
    """value -> whether marshmallow's validator `check` passes it, for the validators followed."""
    kind = type(check)
    if kind is validate.OneOf:
        if all(type(choice) is str for choice in check.choices):
            texts = frozenset(check.choices)  # the same answer for a text, without a walk down the list
            return lambda value: type(value) is str and value in texts
        return lambda value: value in check.choices
    if kind is validate.Range:
        low, high = check.min, check.max

        def in_range(value):
            if low is not None and (value < low if check.min_inclusive else value <= low):
                return False
            return high is None or not (value > high if check.max_inclusive else value >= high)

        return in_range
    if kind is validate.Length:

        def of_length(value):
            n = len(value)
            if check.equal is not None:
                return n == check.equal
            return (check.min is None or n >= check.min) and (check.max is None or n <= check.max)

        return of_length
    raise _Unsupported
