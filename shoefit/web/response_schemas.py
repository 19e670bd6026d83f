"""The API's answers as schemas: what the OpenAPI document shows for each response.

The views build their answers as plain dicts (the recommender's, already JSON for speed), so these
schemas document the shapes rather than dump them; tests hold the answers to them.
"""

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

from ..core.validation import one_of, term
from ..core.vocabulary import ATTRIBUTES, COMFORT_MAX, COMFORT_MIN, DECISIONS, FIT_ISSUES, WARNING_LEVELS


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
    # Only in answers to a fitting with try-ons (see fitting_schemas.py).
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


class TriedSchema(ma.Schema):
    """A try-on as the feedback used it (the latest of its shoe)."""

    shoe_id = f.String(required=True)
    comfort = f.Float(required=True, validate=v.Range(COMFORT_MIN, COMFORT_MAX), metadata={"description": "1-5."})
    fit_notes = f.List(term(FIT_ISSUES), required=True)
    decision = term(DECISIONS, required=True)


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


class SimilarShoeSchema(ShoeSchema):
    similarity = f.Float(required=True, metadata={"description": "1 for identical attributes, towards 0 far apart."})
    distance = f.Float(required=True, metadata={"description": "In the scaled attribute space (0-1 per attribute)."})


class SimilarShoesSchema(ma.Schema):
    shoe_id = f.String(required=True)
    attributes = f.List(f.String(), required=True, metadata={"description": "What similarity is measured on."})
    items = f.List(f.Nested(SimilarShoeSchema), required=True, metadata={"description": "Nearest first."})
    catalog = f.Nested(CatalogInfoSchema, required=True)


# ----------------------------------------------------------------- admin


class CatalogSummarySchema(ma.Schema):
    version = f.String(required=True, metadata={"description": "Content hash of the catalog file."})
    size = f.Integer(required=True)
    brands = f.Integer(required=True, metadata={"description": "How many brands the catalog has."})


class CatalogSwapSchema(ma.Schema):
    catalog = f.Nested(CatalogSummarySchema, required=True, metadata={"description": "The catalog now served."})
    previous_version = f.String(required=True, metadata={"description": "The catalog served before."})


class CatalogProblemSchema(ma.Schema):
    file = f.String(required=True)
    line = f.Integer(required=True, metadata={"description": "1 is the header; 0 when the file could not be read."})
    column = f.String(allow_none=True, required=True)
    value = f.String(allow_none=True, required=True)
    message = f.String(required=True)


class CatalogProblemsSchema(ProblemSchema):
    errors = f.List(f.Nested(CatalogProblemSchema))
