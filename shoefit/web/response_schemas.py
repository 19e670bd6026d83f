"""The API's answers to a runner as schemas: requirements, warnings, the shortlist, batches of them.

The views build their answers as plain dicts (the recommender's, already JSON for speed), so these
schemas document the shapes rather than dump them; tests hold the answers to them.
"""

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

from ..core.requirements import KINDS
from ..core.validation import one_of, term
from ..core.vocabulary import ATTRIBUTES, COMFORT_MAX, COMFORT_MIN, DECISIONS, FIT_ISSUES, TRIAGE, USES, WARNING_LEVELS
from .catalog_schemas import CalibrationSchema, CatalogInfoSchema, ProblemSchema

CALIBRATION = "With a weights overlay (SHOEFIT_WEIGHTS, from `shoefit calibrate`): the one the answer used."


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


KIND = {"enum": list(KINDS), "description": "at_least: min or more; at_most: max or less; around: min to max."}


class RequirementSchema(ma.Schema):
    target = f.Float(required=True, metadata={"description": "One number for the band: min, max, or its middle."})
    kind = f.String(required=True, validate=one_of(KINDS), metadata=KIND)
    min = f.Float(required=True, metadata={"description": "The band's floor on the 1-5 scale (1: none)."})
    max = f.Float(required=True, metadata={"description": "The band's ceiling on the 1-5 scale (5: none)."})
    wanted = f.String(required=True, metadata={"description": "The band in words and units: '4.5 or more', '6-10 mm'."})
    weight = f.Float(
        required=True, metadata={"description": "Sum of the weights of the rules behind it, times `tuned`."}
    )
    tuned = f.Float(
        metadata={"description": "The store's weights overlay's multiplier (0.5-2), when it changed this weight."}
    )
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


class EvidenceSchema(ma.Schema):
    rule = f.String(required=True, metadata={"description": "The rule the note is about (the first, when several)."})
    text = f.String(required=True)


class TriageSchema(ma.Schema):
    state = f.String(required=True, validate=one_of(TRIAGE), metadata={"enum": list(TRIAGE)})
    level = f.String(
        required=True,
        allow_none=True,
        metadata={"enum": list(WARNING_LEVELS), "description": "The most serious warning's."},
    )
    message = f.String(required=True, metadata={"description": "What to do first, in plain words."})
    picks = f.String(
        required=True,
        metadata={"enum": ["shortlist", "for_later"], "description": "for_later: see a doctor before trying shoes on."},
    )
    withheld_advice = f.List(
        f.String(),
        required=True,
        metadata={"description": "Advice codes held back until a doctor has seen the runner."},
    )


class MatchSchema(ma.Schema):
    target = f.Float(required=True)
    kind = f.String(required=True, validate=one_of(KINDS), metadata=KIND)
    value = f.Float(required=True, metadata={"description": "The shoe's value on the 1-5 scale."})
    gap = f.Float(required=True, metadata={"description": "How far outside the band: < 0 short of it, > 0 over it."})
    verdict = f.String(required=True, metadata={"enum": ["meets", "short", "over"]})
    match = f.Float(required=True, metadata={"description": "1 in the band, 0 a whole scale away from it."})
    weight = f.Float(required=True)


class BatchPickSchema(ma.Schema):
    rank = f.Integer(required=True)
    id = f.String(required=True)
    brand = f.String(required=True)
    model = f.String(required=True)
    score = f.Float(required=True, metadata={"description": "0-100."})


class AlsoSchema(ma.Schema):
    id = f.String(required=True)
    model = f.String(required=True)
    price = f.Float(required=True)


class PickSchema(BatchPickSchema):
    """A batch pick plus what a single answer explains."""

    category = f.String(required=True)
    use = f.List(f.String(validate=one_of(USES)), required=True, metadata={"description": "What it is made for."})
    terrain = f.String(required=True)
    price = f.Float(required=True)
    widths = f.List(f.String(), required=True)
    breakdown = f.Dict(keys=f.String(validate=one_of(ATTRIBUTES)), values=f.Nested(MatchSchema), required=True)
    why = f.List(f.String(), required=True)
    also = f.List(
        f.Nested(AlsoSchema), required=True, metadata={"description": "Older versions of its line that passed too."}
    )
    # Only in answers to a fitting with try-ons (see fitting_schemas.py).
    tried = f.Nested(
        lambda: TriedSchema(), allow_none=True, metadata={"description": "The runner's try-on of this shoe, or null."}
    )
    feedback_points = f.Float(
        metadata={"description": "Points the try-ons added to (or took from) the score, within +-10; 0 without."}
    )


class CurrentShoeSummarySchema(ma.Schema):
    id = f.String(required=True)
    brand = f.String(required=True)
    model = f.String(required=True)
    liked = f.Boolean(required=True)
    text = f.String(required=True, metadata={"description": "What the answer made of it."})


class RelaxSchema(ma.Schema):
    filter = f.String(required=True)
    value = f.Raw(required=True, metadata={"description": "The filter as given."})
    candidates = f.Integer(required=True, metadata={"description": "Shoes that would pass without this filter."})


class NoMatchSchema(ma.Schema):
    text = f.String(required=True)
    relax = f.List(f.Nested(RelaxSchema), required=True, metadata={"description": "Most shoes first."})


class RequirementsResponseSchema(ma.Schema):
    triage = f.Nested(TriageSchema, required=True, metadata={"description": "What the warnings make of the answer."})
    requirements = f.Dict(keys=f.String(validate=one_of(ATTRIBUTES)), values=f.Nested(RequirementSchema), required=True)
    warnings = f.List(f.Nested(WarningSchema), required=True, metadata={"description": "Most serious first."})
    advice = f.List(f.Nested(AdviceSchema), required=True)
    evidence = f.List(f.Nested(EvidenceSchema), required=True, metadata={"description": "Each research note once."})
    catalog = f.Nested(CatalogInfoSchema, required=True)
    calibration = f.Nested(CalibrationSchema, metadata={"description": CALIBRATION})


class RecommendationsResponseSchema(RequirementsResponseSchema):
    recommendations = f.List(f.Nested(PickSchema), required=True)
    current_shoe = f.Nested(CurrentShoeSummarySchema, metadata={"description": "With a current_shoe in the profile."})
    no_match = f.Nested(NoMatchSchema, metadata={"description": "When no shoe passed: why, and what to relax."})


class TriedSchema(ma.Schema):
    """A try-on as the feedback used it (the latest of its shoe)."""

    shoe_id = f.String(required=True)
    comfort = f.Float(required=True, validate=v.Range(COMFORT_MIN, COMFORT_MAX), metadata={"description": "1-5."})
    fit_notes = f.List(term(FIT_ISSUES), required=True)
    decision = term(DECISIONS, required=True)


class BatchItemSchema(ma.Schema):
    index = f.Integer(required=True, metadata={"description": "Position of the profile in the request."})
    status = f.Integer(required=True, metadata={"description": "200, or the status of its problem."})
    triage = term(TRIAGE, metadata={"description": "The triage state, as `triage.state` of a single answer."})
    warnings = f.List(f.Nested(WarningSchema), metadata={"description": "Most serious first."})
    recommendations = f.List(f.Nested(BatchPickSchema))
    candidates = f.Integer()
    problem = f.Nested(ProblemSchema)


class BatchResponseSchema(ma.Schema):
    results = f.List(f.Nested(BatchItemSchema), required=True)
    scored = f.Integer(required=True)
    failed = f.Integer(required=True)
    catalog = f.Nested(CatalogInfoSchema, required=True)
    calibration = f.Nested(CalibrationSchema, metadata={"description": CALIBRATION})
