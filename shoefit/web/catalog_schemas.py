"""The catalog's answers as schemas: shoes, similar shoes, the vocabulary, probes, problems, admin swaps."""

import marshmallow as ma
from marshmallow import fields as f

from ..core.validation import one_of
from ..core.vocabulary import USES


class CatalogInfoSchema(ma.Schema):
    version = f.String(required=True, metadata={"description": "Content hash of the catalog file."})
    size = f.Integer(required=True)
    candidates = f.Integer(metadata={"description": "Shoes left after the hard filters."})


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
    use = f.List(f.String(validate=one_of(USES)), required=True, metadata={"description": "What it is made for."})
    family = f.String(required=True, metadata={"description": "Its model line, shared by its versions."})
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


class CalibrationSchema(ma.Schema):
    version = f.String(
        required=True, metadata={"description": "The overlay's version, as `shoefit calibrate` wrote it."}
    )
    fittings = f.Integer(required=True, metadata={"description": "Fittings whose try-ons it was fitted on."})


class CatalogSwapSchema(ma.Schema):
    catalog = f.Nested(CatalogSummarySchema, required=True, metadata={"description": "The catalog now served."})
    previous_version = f.String(required=True, metadata={"description": "The catalog served before."})
    calibration = f.Nested(
        CalibrationSchema,
        allow_none=True,
        required=True,
        metadata={"description": "The weights overlay now served (SHOEFIT_WEIGHTS), or null for none."},
    )


class CatalogProblemSchema(ma.Schema):
    file = f.String(required=True)
    line = f.Integer(required=True, metadata={"description": "1 is the header; 0 when the file could not be read."})
    column = f.String(allow_none=True, required=True)
    value = f.String(allow_none=True, required=True)
    message = f.String(required=True)


class CatalogProblemsSchema(ProblemSchema):
    errors = f.List(f.Nested(CatalogProblemSchema))
