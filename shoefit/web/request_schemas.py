"""What the API takes besides a runner profile (core/validation.py): queries, batch and try-on bodies."""

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

from ..core.catalog_csv import MAX_ID_LENGTH
from ..core.validation import MAX_NAME_LENGTH, StrictSchema, number, strict_int, term, term_list
from ..core.vocabulary import CATEGORIES, COMFORT_MAX, COMFORT_MIN, DECISIONS, FIT_ISSUES, TERRAINS, WIDTHS


class ShoeQuerySchema(StrictSchema):
    brand = f.String(validate=v.Length(1, MAX_NAME_LENGTH))
    terrain = term(TERRAINS)
    category = term(CATEGORIES)
    width = term(WIDTHS)
    max_price = number(validate=v.Range(0, 10000))
    # Query strings are text: these parse "2" but still refuse "2.5".
    page = f.Integer(validate=v.Range(min=1, max=100000), load_default=1)
    per_page = f.Integer(validate=v.Range(1, 100), load_default=20)


class SimilarQuerySchema(StrictSchema):
    # Query strings are text: "3" parses, "2.5" is refused.
    limit = f.Integer(validate=v.Range(1, 20), load_default=5)


class BatchRequestSchema(StrictSchema):
    # Items are validated one by one in the view, so that a bad item gets its own
    # problem instead of failing the whole batch; json_body leaves them to it too.
    ITEMS_JUDGED_ALONE = "profiles"
    profiles = f.List(
        f.Raw(allow_none=True),  # null too: it gets its own problem, like any bad item
        required=True,
        validate=v.Length(min=1),
        metadata={"description": "Runner profiles, each exactly as the body of POST /v1/recommendations."},
    )


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
