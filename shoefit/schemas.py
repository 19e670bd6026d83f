"""Request and response schemas: validation, and the OpenAPI document's shapes."""

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

from .catalog import MAX_ID_LENGTH
from .vocabulary import (
    ARCH_TYPES,
    ATTRIBUTES,
    CATEGORIES,
    COMFORT_MAX,
    COMFORT_MIN,
    CONDITIONS,
    DECISIONS,
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
    WARNING_LEVELS,
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


class ShoeQuerySchema(StrictSchema):
    brand = f.String(validate=v.Length(1, MAX_NAME_LENGTH))
    terrain = term(TERRAINS)
    category = term(CATEGORIES)
    width = term(WIDTHS)
    max_price = number(validate=v.Range(0, 10000))
    # Query strings are text: these parse "2" but still refuse "2.5".
    page = f.Integer(validate=v.Range(min=1, max=100000), load_default=1)
    per_page = f.Integer(validate=v.Range(1, 100), load_default=20)


# ----------------------------------------------------------------- responses


class SourceSchema(ma.Schema):
    rule = f.String(required=True, metadata={"description": "Id of the knowledge-base rule."})
    seed = f.String(required=True, metadata={"description": "Seed document the rule implements."})
    section = f.String(required=True)
    quote = f.String(required=True, metadata={"description": "The passage, verbatim."})
    evidence = f.String(metadata={"description": "What research says about this rule."})


class ReasonSchema(ma.Schema):
    text = f.String(required=True)
    weight = f.Float(required=True)
    source = f.Nested(SourceSchema, required=True)


class RequirementSchema(ma.Schema):
    target = f.Float(required=True, metadata={"description": "Ideal rating, 1-5."})
    weight = f.Float(required=True, metadata={"description": "Sum of the weights of the rules behind it."})
    reasons = f.List(f.Nested(ReasonSchema), required=True)


class WarningSchema(ma.Schema):
    code = f.String(required=True)
    level = f.String(required=True, validate=one_of(WARNING_LEVELS), metadata={"enum": list(WARNING_LEVELS)})
    message = f.String(required=True)
    source = f.Nested(SourceSchema, required=True)


class AdviceSchema(ma.Schema):
    code = f.String(required=True)
    text = f.String(required=True)
    source = f.Nested(SourceSchema, required=True)


class CatalogInfoSchema(ma.Schema):
    version = f.String(required=True, metadata={"description": "Content hash of the catalog file."})
    size = f.Integer(required=True)
    candidates = f.Integer(metadata={"description": "Shoes left after the hard filters."})


class MatchSchema(ma.Schema):
    target = f.Float(required=True)
    value = f.Float(required=True)
    match = f.Float(required=True, metadata={"description": "1 at the target, 0 at the far end of the scale."})
    weight = f.Float(required=True)


class BatchPickSchema(ma.Schema):
    rank = f.Integer(required=True)
    id = f.String(required=True)
    brand = f.String(required=True)
    model = f.String(required=True)
    score = f.Float(required=True, metadata={"description": "0-100."})


class PickSchema(BatchPickSchema):
    """A batch pick plus what a single answer explains."""

    category = f.String(required=True)
    terrain = f.String(required=True)
    price = f.Float(required=True)
    widths = f.List(f.String(), required=True)
    breakdown = f.Dict(keys=f.String(validate=one_of(ATTRIBUTES)), values=f.Nested(MatchSchema), required=True)
    why = f.List(f.String(), required=True)
    # Only in answers to a fitting with try-ons (see the try-on feedback section below).
    tried = f.Nested(
        lambda: TriedSchema(), allow_none=True, metadata={"description": "The runner's try-on of this shoe, or null."}
    )
    feedback_points = f.Float(
        metadata={"description": "Points the try-ons added to (or took from) the score, within +-10; 0 without."}
    )


class RequirementsResponseSchema(ma.Schema):
    requirements = f.Dict(keys=f.String(validate=one_of(ATTRIBUTES)), values=f.Nested(RequirementSchema), required=True)
    warnings = f.List(f.Nested(WarningSchema), required=True, metadata={"description": "Most serious first."})
    advice = f.List(f.Nested(AdviceSchema), required=True)
    catalog = f.Nested(CatalogInfoSchema, required=True)


class RecommendationsResponseSchema(RequirementsResponseSchema):
    recommendations = f.List(f.Nested(PickSchema), required=True)


class ShoeSchema(ma.Schema):
    id = f.String(required=True)
    brand = f.String(required=True)
    model = f.String(required=True)
    terrain = f.String(required=True)
    category = f.String(required=True)
    cushioning = f.Float(required=True)
    forefoot_cushioning = f.Float(required=True)
    arch_support = f.Float(required=True)
    stability = f.Float(required=True)
    heel_counter = f.Float(required=True)
    breathability = f.Float(required=True)
    toe_box = f.Float(required=True)
    widths = f.List(f.String(), required=True)
    weight_g = f.Float(required=True)
    drop_mm = f.Float(required=True)
    heel_stack_mm = f.Float(required=True)
    forefoot_stack_mm = f.Float(required=True)
    price = f.Float(required=True)
    seamless_upper = f.Boolean(required=True)
    year = f.Integer(allow_none=True, required=True)
    url = f.String(allow_none=True, required=True)
    extra = f.Dict(
        keys=f.String(),
        values=f.String(),
        required=True,
        metadata={"description": "Extra catalog columns, kept as text."},
    )


class ShoePageSchema(ma.Schema):
    items = f.List(f.Nested(ShoeSchema), required=True)
    total = f.Integer(required=True)
    page = f.Integer(required=True)
    per_page = f.Integer(required=True)
    catalog = f.Nested(CatalogInfoSchema, required=True)


class TermSchema(ma.Schema):
    value = f.String(required=True)
    label = f.String(required=True)
    hint = f.String(required=True)


class VocabularySchema(ma.Schema):
    fields_ = f.Dict(
        data_key="fields",
        keys=f.String(),
        values=f.List(f.Nested(TermSchema)),
        required=True,
        metadata={"description": "Accepted values per request field (dotted for nested fields)."},
    )
    brands = f.List(f.String(), required=True)
    limits = f.Dict(keys=f.String(), values=f.Dict(), required=True)
    catalog = f.Nested(CatalogInfoSchema, required=True)


class StatusSchema(ma.Schema):
    status = f.String(required=True)
    catalog = f.Nested(CatalogInfoSchema)


class FieldErrorSchema(ma.Schema):
    field = f.String(required=True, metadata={"description": "Dotted path of the field, e.g. pain.severity."})
    value = f.Raw(metadata={"description": "The value that was sent, when there was one."})
    message = f.String(required=True)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = f.String(required=True)
    title = f.String(required=True)
    status = f.Integer(required=True)
    detail = f.String()
    errors = f.List(f.Nested(FieldErrorSchema))
    request_id = f.String(
        metadata={"description": "The request's X-Request-ID, as in the server's logs (absent in a batch item)."}
    )


class BatchRequestSchema(StrictSchema):
    # Items are validated one by one in the view, so that a bad item gets its own
    # problem instead of failing the whole batch.
    profiles = f.List(
        f.Raw(allow_none=True),  # null too: it gets its own problem, like any bad item
        required=True,
        validate=v.Length(min=1),
        metadata={"description": "Runner profiles, each exactly as the body of POST /v1/recommendations."},
    )


class BatchItemSchema(ma.Schema):
    index = f.Integer(required=True, metadata={"description": "Position of the profile in the request."})
    status = f.Integer(required=True, metadata={"description": "200, or the status of its problem."})
    warnings = f.List(f.Nested(WarningSchema), metadata={"description": "Most serious first."})
    recommendations = f.List(f.Nested(BatchPickSchema))
    candidates = f.Integer()
    problem = f.Nested(ProblemSchema)


class BatchResponseSchema(ma.Schema):
    results = f.List(f.Nested(BatchItemSchema), required=True)
    scored = f.Integer(required=True)
    failed = f.Integer(required=True)
    catalog = f.Nested(CatalogInfoSchema, required=True)


# ----------------------------------------------------------------- try-on feedback and similar shoes


class TriedSchema(ma.Schema):
    """A try-on as the feedback used it (the latest of its shoe)."""

    shoe_id = f.String(required=True)
    comfort = f.Float(required=True, validate=v.Range(COMFORT_MIN, COMFORT_MAX), metadata={"description": "1-5."})
    fit_notes = f.List(term(FIT_ISSUES), required=True)
    decision = term(DECISIONS, required=True)


class FeedbackTryOnSchema(TriedSchema):
    brand = f.String(required=True)
    model = f.String(required=True)
    signal = f.Float(
        required=True,
        metadata={"description": "-1 to 1: two thirds (comfort - 3) / 2, one third +1 kept, -1 returned, 0 undecided."},
    )
    points = f.Float(required=True, metadata={"description": "What the try-on did to its own shoe's score."})


class FeedbackSourceSchema(SourceSchema):
    rule = f.String(
        required=True, metadata={"description": "A rules.toml rule id, or feedback:NOTE:ATTRIBUTE / feedback:comfort."}
    )


class ComfortFeedbackSchema(ma.Schema):
    text = f.String(required=True)
    max_points = f.Float(required=True, metadata={"description": "The most a try-on moves any shoe's score."})
    source = f.Nested(FeedbackSourceSchema, required=True)


class BecauseSchema(ma.Schema):
    note = f.String(allow_none=True, required=True, validate=one_of(FIT_ISSUES), metadata={"enum": list(FIT_ISSUES)})
    shoes = f.List(f.String(), required=True, metadata={"description": "Ids of the tried shoes it was felt in."})
    text = f.String(required=True)
    weight = f.Float(required=True)
    source = f.Nested(FeedbackSourceSchema, required=True)


class TargetWeightSchema(ma.Schema):
    target = f.Float(required=True)
    weight = f.Float(required=True)


class RequirementChangeSchema(ma.Schema):
    attribute = f.String(required=True, validate=one_of(ATTRIBUTES), metadata={"enum": list(ATTRIBUTES)})
    from_ = f.Nested(
        TargetWeightSchema,
        data_key="from",
        allow_none=True,
        required=True,
        metadata={"description": "The requirement of the profile as sent; null if it had none."},
    )
    to = f.Nested(TargetWeightSchema, required=True)
    because = f.List(f.Nested(BecauseSchema), required=True)


class FeedbackSchema(ma.Schema):
    """What the try-ons changed: requirements, the fit issues added to the profile, and the ranking."""

    tryons = f.List(f.Nested(FeedbackTryOnSchema), required=True)
    comfort = f.Nested(ComfortFeedbackSchema, required=True)
    fit_issues_added = f.List(term(FIT_ISSUES), required=True)
    changes = f.List(f.Nested(RequirementChangeSchema), required=True)


class SimilarQuerySchema(StrictSchema):
    # Query strings are text: "3" parses, "2.5" is refused.
    limit = f.Integer(validate=v.Range(1, 20), load_default=5)


class SimilarShoeSchema(ShoeSchema):
    similarity = f.Float(required=True, metadata={"description": "1 for identical attributes, towards 0 far apart."})
    distance = f.Float(required=True, metadata={"description": "In the scaled attribute space (0-1 per attribute)."})


class SimilarShoesSchema(ma.Schema):
    shoe_id = f.String(required=True)
    attributes = f.List(f.String(), required=True, metadata={"description": "What similarity is measured on."})
    items = f.List(f.Nested(SimilarShoeSchema), required=True, metadata={"description": "Nearest first."})
    catalog = f.Nested(CatalogInfoSchema, required=True)


# ----------------------------------------------------------------- fittings


class TryOnRequestSchema(StrictSchema):
    shoe_id = f.String(
        required=True, validate=v.Length(1, MAX_ID_LENGTH), metadata={"description": "A catalog shoe id."}
    )
    comfort = strict_int(
        required=True,
        validate=v.Range(COMFORT_MIN, COMFORT_MAX),
        metadata={"description": "How it felt: 1 it hurts ... 5 could not feel better."},
    )
    fit_notes = term_list(FIT_ISSUES, metadata={"description": "What did not fit, if anything."})
    decision = term(DECISIONS, load_default="undecided")

    @ma.post_load
    def fold_duplicates(self, data, **kwargs):
        data["fit_notes"] = list(dict.fromkeys(data["fit_notes"]))
        return data


class FittingLinksSchema(ma.Schema):
    self_ = f.String(data_key="self", required=True)
    tryons = f.String(required=True)
    recommendations = f.String(required=True)


class FittingSchema(ma.Schema):
    id = f.String(required=True, metadata={"description": "Opaque: the only handle on the fitting."})
    version = f.Integer(
        required=True, metadata={"description": "1, then one more with each change of the profile; the ETag."}
    )
    profile = f.Dict(required=True, metadata={"description": "The runner's answers as sent (a Profile)."})
    created_at = f.DateTime(required=True)
    updated_at = f.DateTime(required=True, metadata={"description": "The last change of the profile."})
    links = f.Nested(FittingLinksSchema, required=True)


class TryOnShoeSchema(ma.Schema):
    brand = f.String(required=True)
    model = f.String(required=True)


class TryOnSchema(ma.Schema):
    id = f.Integer(required=True)
    shoe_id = f.String(required=True)
    shoe = f.Nested(
        TryOnShoeSchema,
        allow_none=True,
        required=True,
        metadata={"description": "Null when the catalog served now no longer has the shoe."},
    )
    comfort = f.Integer(required=True)
    fit_notes = f.List(term(FIT_ISSUES), required=True)
    decision = term(DECISIONS, required=True)
    created_at = f.DateTime(required=True)


class TryOnListSchema(ma.Schema):
    items = f.List(f.Nested(TryOnSchema), required=True, metadata={"description": "In the order they were tried."})
    total = f.Integer(required=True)


class FittingRefSchema(ma.Schema):
    id = f.String(required=True)
    version = f.Integer(required=True)


class FittingRecommendationsSchema(RecommendationsResponseSchema):
    fitting = f.Nested(FittingRefSchema, required=True)
    feedback = f.Nested(FeedbackSchema, allow_none=True, required=True, metadata={"description": "Null: no try-ons."})
