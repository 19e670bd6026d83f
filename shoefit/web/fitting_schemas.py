"""A fitting's answers as schemas: the fitting, its try-ons, and what the try-ons changed (feedback)."""

import marshmallow as ma
from marshmallow import fields as f

from ..core.validation import one_of, term
from ..core.vocabulary import ATTRIBUTES, DECISIONS, FIT_ISSUES
from .response_schemas import AlsoSchema, RecommendationsResponseSchema, SourceSchema, TriedSchema


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
    wanted = f.String(required=True, metadata={"description": "The band in words and units, as a requirement's."})
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
    text = f.String(required=True, metadata={"description": "The change as a sentence."})


class SetAsideSchema(ma.Schema):
    id = f.String(required=True)
    brand = f.String(required=True)
    model = f.String(required=True)
    text = f.String(required=True)
    also = f.List(
        f.Nested(AlsoSchema), required=True, metadata={"description": "Other versions of its line, set aside with it."}
    )


class FeedbackSchema(ma.Schema):
    """What the try-ons changed: requirements, the fit issues added to the profile, and the ranking."""

    tryons = f.List(f.Nested(FeedbackTryOnSchema), required=True)
    comfort = f.Nested(ComfortFeedbackSchema, required=True)
    fit_issues_added = f.List(term(FIT_ISSUES), required=True)
    changes = f.List(f.Nested(RequirementChangeSchema), required=True)
    set_aside = f.List(
        f.Nested(SetAsideSchema),
        required=True,
        metadata={"description": "Tried shoes returned or rated 1-2: off the list, with the rest of their line."},
    )


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
