"""Requirements and ranked shoes for one runner, and the vocabulary a form is built from."""

import flask

from ...core.profile import Profile
from ...core.validation import MAX_BRANDS, MAX_NAME_LENGTH, InvalidProfile, ProfileSchema
from ...core.vocabulary import (
    BODY_WEIGHT_MAX,
    BODY_WEIGHT_MIN,
    ENUMS,
    LIMIT_DEFAULT,
    LIMIT_MAX,
    LIMIT_MIN,
    SEVERITY_MAX,
    SEVERITY_MIN,
)
from .. import catalog_schemas, response_schemas
from ..context import recommender
from ..json_body import Blueprint
from ..problems import documented, refuse
from ..responses import json_response

bp = Blueprint("recommendations", __name__, url_prefix="/v1", description="Requirements and ranked shoes for a runner.")


def _with_profile(handler, data):
    try:
        return json_response(handler(Profile.from_dict(data)))
    except InvalidProfile as exc:
        # The schema has passed: only brands the catalog lacks are left, and the detail names them all.
        refuse(exc.errors, str(exc))


@bp.route("/recommendations", methods=["POST"])
@bp.arguments(
    ProfileSchema(),
    example={"arch_type": "high", "pronation": "neutral", "symptoms": ["forefoot_pain"], "width": "wide", "limit": 3},
)
@bp.response(200, response_schemas.RecommendationsResponseSchema)
@documented(bp, "400", "413", "415", "422")
def recommendations(data):
    """Rank the catalog for a runner

    Requirements with their reasons, red-flag warnings (most serious first), care
    advice, and the best shoes with a per-attribute breakdown and plain-language why.
    """
    return _with_profile(recommender().recommend_json, data)


@bp.route("/requirements", methods=["POST"])
@bp.arguments(ProfileSchema())
@bp.response(200, response_schemas.RequirementsResponseSchema)
@documented(bp, "400", "413", "415", "422")
def requirements(data):
    """What a runner needs from a shoe, without ranking"""
    return _with_profile(recommender().requirements, data)


@bp.route("/vocabulary", methods=["GET"])
@bp.response(200, catalog_schemas.VocabularySchema)
@documented(bp, "422")
def vocabulary():
    """Every accepted value, with a label and a hint, to build a form from"""
    service = recommender()
    return json_response(
        {
            "fields": {
                name: [{"value": value, **texts} for value, texts in terms.items()] for name, terms in ENUMS.items()
            },
            "brands": service.catalog.brands,
            "limits": {
                "limit": {"min": LIMIT_MIN, "max": LIMIT_MAX, "default": LIMIT_DEFAULT},
                "pain.severity": {"min": SEVERITY_MIN, "max": SEVERITY_MAX},
                "body_weight_kg": {"min": BODY_WEIGHT_MIN, "max": BODY_WEIGHT_MAX},
                "brands": {"max_items": MAX_BRANDS, "max_length": MAX_NAME_LENGTH},
                "body": {"max_bytes": flask.current_app.config["MAX_CONTENT_LENGTH"]},
            },
            "catalog": service.catalog_info(),
        }
    )
