"""A runner's answers validated: the profile schema, its field errors, and the check against a catalog.

The marshmallow schema is validation, not HTTP: the API, a fitting's stored answers and every row of
a batch file are judged by this one schema, so they can never disagree. Its field builders are shared
with the web layer's other request schemas.
"""

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

from .errors import FieldErrors
from .profile import Profile
from .vocabulary import (
    ARCH_TYPES,
    BODY_WEIGHT_MAX,
    BODY_WEIGHT_MIN,
    CONDITIONS,
    CUSHION_FEELS,
    DROPS,
    EXPERIENCES,
    FIT_ISSUES,
    LIMIT_DEFAULT,
    LIMIT_MAX,
    LIMIT_MIN,
    PAIN_CHARACTERS,
    PAIN_TIMINGS,
    PRONATIONS,
    SEVERITY_MAX,
    SEVERITY_MIN,
    SURFACES,
    SYMPTOMS,
    TERRAINS,
    USES,
    WIDTHS,
)

MAX_BRANDS = 30
MAX_NAME_LENGTH = 60


def one_of(terms):
    return v.OneOf(list(terms), error="must be one of: {choices}")


def term(terms, metadata=None, **kwargs):
    return f.String(validate=one_of(terms), metadata={"enum": list(terms), **(metadata or {})}, **kwargs)


def term_list(terms, **kwargs):
    # A list can hold each value once; the length cap is only there to refuse abuse
    # before validation work, duplicates are folded in post_load.
    return f.List(term(terms), validate=v.Length(max=4 * len(terms)), load_default=list, **kwargs)


class StrictBoolean(f.Boolean):
    """true or false only: marshmallow's Boolean also takes 0 and 1 (they equal False and True in Python)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def strict_int(**kwargs):
    return f.Integer(strict=True, **kwargs)


def number(**kwargs):
    return f.Float(allow_nan=False, **kwargs)


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class PainSchema(StrictSchema):
    days = strict_int(validate=v.Range(0, 3650), metadata={"description": "How many days it has hurt."})
    severity = strict_int(
        validate=v.Range(SEVERITY_MIN, SEVERITY_MAX), metadata={"description": "0 none ... 10 worst."}
    )
    character = term(PAIN_CHARACTERS)
    timing = term(PAIN_TIMINGS)
    despite_rest = StrictBoolean(metadata={"description": "Still hurts after rest, ice and pain relievers."})


class TrainingSchema(StrictSchema):
    weekly_km = number(validate=v.Range(0, 1000))
    weekly_increase_pct = number(
        validate=v.Range(-100, 1000), metadata={"description": "Planned or recent increase in weekly volume, percent."}
    )
    surface = term(SURFACES)


class CurrentShoeSchema(StrictSchema):
    id = f.String(required=True, validate=v.Length(1, 100), metadata={"description": "A catalog shoe id."})
    liked = StrictBoolean(required=True, metadata={"description": "true: loved it; false: did not get on with it."})


class ProfileSchema(StrictSchema):
    """A runner's answers. Everything is optional: unknown is a fine answer."""

    arch_type = term(ARCH_TYPES, load_default="unknown")
    pronation = term(PRONATIONS, load_default="unknown")
    fit_issues = term_list(FIT_ISSUES, metadata={"description": "Problems with current shoes."})
    symptoms = term_list(SYMPTOMS)
    conditions = term_list(CONDITIONS)
    pain = f.Nested(PainSchema)
    training = f.Nested(TrainingSchema)
    width = term(WIDTHS, metadata={"description": "Only shoes offered in this width."})
    max_price = number(validate=v.Range(0, 10000), metadata={"description": "Only shoes at or under this price."})
    terrain = term(TERRAINS, metadata={"description": "Only shoes for this terrain."})
    brands = f.List(
        f.String(validate=v.Length(1, MAX_NAME_LENGTH)),
        validate=v.Length(max=MAX_BRANDS),
        load_default=list,
        metadata={"description": "Only these brands (see GET /v1/vocabulary)."},
    )
    exclude_brands = f.List(
        f.String(validate=v.Length(1, MAX_NAME_LENGTH)), validate=v.Length(max=MAX_BRANDS), load_default=list
    )
    use = term(USES, load_default="daily", metadata={"description": "What the shoes are for."})
    use_only = StrictBoolean(
        load_default=False, metadata={"description": "Only shoes made for that use (otherwise it is a scored need)."}
    )
    body_weight_kg = number(validate=v.Range(BODY_WEIGHT_MIN, BODY_WEIGHT_MAX))
    cushion_feel = term(CUSHION_FEELS, metadata={"description": "The underfoot feel the runner prefers."})
    drop = term(DROPS, metadata={"description": "The heel-to-toe drop the runner prefers."})
    experience = term(EXPERIENCES)
    current_shoe = f.Nested(
        CurrentShoeSchema, metadata={"description": "The shoe the runner runs in now, and whether they like it."}
    )
    shortlist = StrictBoolean(
        load_default=True,
        metadata={"description": "One version of each model line, brands varied (default); false: the plain ranking."},
    )
    limit = strict_int(validate=v.Range(LIMIT_MIN, LIMIT_MAX), load_default=LIMIT_DEFAULT)

    @ma.post_load
    def fold_duplicates(self, data, **kwargs):
        for name in ("fit_issues", "symptoms", "conditions"):
            data[name] = list(dict.fromkeys(data[name]))
        for name in ("brands", "exclude_brands"):
            first = {}
            for brand in data[name]:
                first.setdefault(brand.casefold(), brand)
            data[name] = list(first.values())
        return data


PROFILE_SCHEMA = ProfileSchema()


class InvalidProfile(FieldErrors):
    """A profile the schema refuses, or one that does not fit the catalog (a brand it lacks)."""


def load_profile(body, catalog):
    """The Profile a request body makes against `catalog`; InvalidProfile naming every bad field."""
    try:
        profile = Profile.from_dict(PROFILE_SCHEMA.load(body))
    except ma.ValidationError as exc:
        raise InvalidProfile(field_errors(exc.messages, body, root="(profile)")) from None
    check_against(catalog, profile)
    return profile


def check_against(catalog, profile):
    """Raise InvalidProfile for what the catalog does not have: brands, and the runner's current shoe."""
    errors = [
        {"field": f"{field}.{i}", "value": brand, "message": f"no brand {brand!r} in the catalog"}
        for field in ("brands", "exclude_brands")
        for i, brand in enumerate(getattr(profile, field))
        if brand.casefold() not in catalog.brand_codes
    ]
    if profile.current_shoe is not None and catalog.get(profile.current_shoe[0]) is None:
        shoe_id = profile.current_shoe[0]
        errors.append({"field": "current_shoe.id", "value": shoe_id, "message": f"no shoe {shoe_id!r} in the catalog"})
    if errors:
        raise InvalidProfile(errors)


def field_errors(messages, sent, root="(body)"):
    """marshmallow's nested {field: [message] | {...}} as [{field, value, message}], dotted paths.

    `value` is what was sent at that path, when something was; `root` names errors about the whole input.
    """
    errors = []
    _flatten(messages, [], sent, errors, root)
    return errors


def _flatten(tree, path, sent, errors, root):
    if isinstance(tree, dict):
        for key, sub in tree.items():
            _flatten(sub, path if key == "_schema" else [*path, key], sent, errors, root)
        return
    name = ".".join(str(p) for p in path) or root
    for message in tree if isinstance(tree, list) else [tree]:
        if isinstance(message, (dict, list)):
            _flatten(message, path, sent, errors, root)
            continue
        entry = {"field": name, "message": str(message)}
        found, value = _lookup(sent, path)
        if found:
            entry["value"] = value
        errors.append(entry)


def _lookup(sent, path):
    value = sent
    for key in path:
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
            value = value[key]
        else:
            return False, None
    return path != [], value
