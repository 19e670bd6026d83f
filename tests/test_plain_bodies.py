"""A plain body loads as marshmallow loads it (web/plain_bodies.py); every other body is left to marshmallow."""

import marshmallow as ma
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoefit.core.validation import ProfileSchema
from shoefit.core.vocabulary import ENUMS
from shoefit.web.plain_bodies import loader
from shoefit.web.request_schemas import BatchRequestSchema, TryOnRequestSchema

NAMES = sorted({value for terms in ENUMS.values() for value in terms} | {"ASICS", "hoka", "brooks-ghost-17"})
WORDS = ["", *NAMES]
# What JSON can hold, weighted towards what the fields read, with the near misses marshmallow converts or refuses:
# 5.0 for a whole number, "5" for a number, true for 1, 1e400 (read as infinity), huge integers, null.
SCALARS = st.one_of(
    st.sampled_from(WORDS),
    st.integers(-3, 60),
    st.floats(-10, 12000, allow_nan=False),
    st.sampled_from([5.0, 0.0, -0.0, "5", "150.5", True, False, None, float("inf"), 10**400, 2**63, 1e308]),
    st.text(max_size=4),
)
LISTS = st.lists(st.one_of(st.sampled_from(WORDS), SCALARS), max_size=8)


def bodies(schema):
    """A body the schema takes, or one with a near miss: a value of another kind, or a key the schema lacks."""
    fields = schema.load_fields
    names = st.sampled_from([*fields, "x", "Limit"])
    miss = names.flatmap(lambda name: st.tuples(st.just(name), junk(fields.get(name))))
    return st.builds(_missed, taken(schema), miss | st.none())


def _missed(body, miss):
    return body if miss is None else {**body, miss[0]: miss[1]}


def taken(schema):
    """A body the schema takes: its required keys and some of the others, each with a value its field takes."""
    fields = schema.load_fields
    return st.fixed_dictionaries(
        {name: valid(field) for name, field in fields.items() if field.required},
        optional={name: valid(field) for name, field in fields.items() if not field.required},
    )


def valid(field):
    """Values the field's own validators pass (edges included), as a JSON body holds them."""
    checks = {type(check): check for check in field.validators}
    if isinstance(field, ma.fields.Nested):
        return taken(field.schema)
    if isinstance(field, ma.fields.List):
        return st.lists(valid(field.inner), max_size=getattr(checks.get(ma.validate.Length), "max", None) or 6)
    if ma.validate.OneOf in checks:
        return st.sampled_from(list(checks[ma.validate.OneOf].choices))
    if isinstance(field, ma.fields.Boolean):
        return st.booleans()
    if isinstance(field, ma.fields.Number):
        low, high = checks[ma.validate.Range].min, checks[ma.validate.Range].max
        whole = st.integers(low, high) | st.sampled_from([low, high])
        return whole if isinstance(field, ma.fields.Integer) else whole | st.floats(low, high)
    length = checks.get(ma.validate.Length)
    return st.text(min_size=length.min or 0, max_size=min(length.max, 8)) | st.sampled_from(NAMES)


def junk(field):
    """Values of every kind for a field (None: a key the schema lacks); for an object, one with a near miss."""
    anything = SCALARS | LISTS | st.dictionaries(st.sampled_from(WORDS), SCALARS, max_size=2)
    return anything | bodies(field.schema) if isinstance(field, ma.fields.Nested) else anything


def typed(value):
    """A loaded value with the type of every part: marshmallow's 150.0 is not a body's 150."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


@pytest.mark.parametrize("schema", [ProfileSchema(), TryOnRequestSchema()], ids=lambda s: type(s).__name__)
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_body_the_loader_takes_loads_as_marshmallow_loads_it(schema, data):
    body = data.draw(bodies(schema))
    loaded = loader(schema)(body)
    try:
        expected = schema.load(body)
    except ma.ValidationError:
        assert loaded is None  # what marshmallow refuses, it refuses itself, with its own words
        return
    if loaded is not None:
        assert typed(loaded) == typed(expected)


def test_plain_profiles_are_taken_with_their_defaults_and_duplicates_folded():
    body = {
        "arch_type": "high",
        "symptoms": ["forefoot_pain", "forefoot_pain"],
        "pain": {"days": 5, "severity": 4},
        "training": {"weekly_km": 40},
        "max_price": 150,
        "brands": ["HOKA", "hoka"],
        "limit": 3,
    }
    loaded = loader(ProfileSchema())(body)
    assert typed(loaded) == typed(ProfileSchema().load(body))
    assert loaded["symptoms"] == ["forefoot_pain"] and loaded["pronation"] == "unknown"
    assert type(loaded["max_price"]) is float and type(loaded["training"]["weekly_km"]) is float


@pytest.mark.parametrize(
    "body",
    [{"limit": True}, {"limit": 5.0}, {"max_price": "150"}, {"width": None}, {"pain": {"days": 5, "x": 1}}, []],
)
def test_what_marshmallow_converts_or_refuses_is_left_to_it(body):
    assert loader(ProfileSchema())(body) is None


def test_a_schema_with_what_the_loaders_do_not_follow_gets_none():
    class Hooked(ma.Schema):
        name = ma.fields.String()

        @ma.pre_load
        def strip(self, data, **kwargs):
            return data

    class Dated(ma.Schema):
        when = ma.fields.DateTime()

    assert loader(Hooked()) is None and loader(Dated()) is None
    assert loader(BatchRequestSchema()) is None  # its items are Raw: judged one by one by the view
    assert loader(ProfileSchema(unknown=ma.EXCLUDE)) is None


def test_a_plain_request_body_skips_marshmallow_and_a_near_miss_gets_its_errors(client, monkeypatch):
    loads = []
    real = ProfileSchema.load
    monkeypatch.setattr(ProfileSchema, "load", lambda self, *a, **k: loads.append(a) or real(self, *a, **k))
    assert client.post("/v1/recommendations", json={"arch_type": "high", "limit": 3}).status_code == 200
    assert loads == []
    refused = client.post("/v1/recommendations", json={"arch_type": "high", "limit": True})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "limit"
    assert len(loads) == 1
