"""HTTP endpoints: thin functions from validated input to the recommender and back."""

import hashlib
import logging

import flask
import marshmallow as ma
import orjson
from flask_smorest import Blueprint, abort
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import quote_etag

from . import schemas, similar
from .problems import dumps, item_errors, problem, problem_body
from .profile import Profile
from .recommender import InvalidProfile
from .schemas import MAX_BRANDS, MAX_NAME_LENGTH
from .vocabulary import ENUMS, LIMIT_DEFAULT, LIMIT_MAX, LIMIT_MIN, SEVERITY_MAX, SEVERITY_MIN

recommend_bp = Blueprint(
    "recommendations", __name__, url_prefix="/v1", description="Requirements and ranked shoes for a runner."
)
shoes_bp = Blueprint("shoes", __name__, url_prefix="/v1", description="The catalog being served.")
batch_bp = Blueprint("batch", __name__, url_prefix="/v1/batch", description="Many runners in one request.")
meta_bp = Blueprint("meta", __name__, description="Health and readiness probes.")

log = logging.getLogger(__name__)
_PROFILE = schemas.ProfileSchema()
ERRORS = {
    "422": "Invalid request",
    "415": "Not JSON",
    "413": "Body too large",
    "400": "Malformed JSON",
    "404": "No such shoe",
    "503": "A database the service needs does not answer",
}


def served():
    """The catalog and what is built on it, as in force when this request started (served.py)."""
    return flask.g.served


def recommender():
    return flask.g.served.recommender


def json_response(body, status=200):
    # Responses are built as plain dicts (or already JSON bytes) by the recommender;
    # serialising them directly skips a marshmallow dump that would cost more than the scoring.
    payload = body if isinstance(body, bytes) else dumps(body)
    return flask.current_app.response_class(payload, status=status, mimetype="application/json")


def _with_profile(handler, data):
    try:
        return json_response(handler(Profile.from_dict(data)))
    except InvalidProfile as exc:
        return problem(422, "Invalid request", str(exc), exc.errors)


def _documented_errors(bp, *codes):
    # One doc entry rather than alt_response decorators: each of those wraps the
    # view in another call layer on every request.
    problem_content = {"application/problem+json": {"schema": schemas.ProblemSchema}}
    return bp.doc(responses={code: {"description": ERRORS[code], "content": problem_content} for code in codes})


@recommend_bp.route("/recommendations", methods=["POST"])
@recommend_bp.arguments(
    schemas.ProfileSchema(),
    example={"arch_type": "high", "pronation": "neutral", "symptoms": ["forefoot_pain"], "width": "wide", "limit": 3},
)
@recommend_bp.response(200, schemas.RecommendationsResponseSchema)
@_documented_errors(recommend_bp, "400", "413", "415", "422")
def recommendations(data):
    """Rank the catalog for a runner

    Requirements with their reasons, red-flag warnings (most serious first), care
    advice, and the best shoes with a per-attribute breakdown and plain-language why.
    """
    return _with_profile(recommender().recommend_json, data)


@recommend_bp.route("/requirements", methods=["POST"])
@recommend_bp.arguments(schemas.ProfileSchema())
@recommend_bp.response(200, schemas.RequirementsResponseSchema)
@_documented_errors(recommend_bp, "400", "413", "415", "422")
def requirements(data):
    """What a runner needs from a shoe, without ranking"""
    return _with_profile(recommender().requirements, data)


@recommend_bp.route("/vocabulary", methods=["GET"])
@recommend_bp.response(200, schemas.VocabularySchema)
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
                "brands": {"max_items": MAX_BRANDS, "max_length": MAX_NAME_LENGTH},
                "body": {"max_bytes": flask.current_app.config["MAX_CONTENT_LENGTH"]},
            },
            "catalog": service.catalog_info(),
        }
    )


@batch_bp.before_request
def allow_larger_bodies():
    flask.request.max_content_length = flask.current_app.config["BATCH_MAX_BODY_BYTES"]


@batch_bp.route("/recommendations", methods=["POST"])
@batch_bp.arguments(schemas.BatchRequestSchema())
@batch_bp.response(200, schemas.BatchResponseSchema)
@_documented_errors(batch_bp, "400", "413", "415", "422")
def batch_recommendations(data):
    """Rank the catalog for many runners

    Each profile is validated on its own: a bad one gets its own problem (with its
    status) in its place, and the others are still answered. Picks carry no
    breakdown or why; ask POST /v1/recommendations for one runner's explanation.
    """
    items = data["profiles"]
    most = flask.current_app.config["BATCH_MAX_PROFILES"]
    if len(items) > most:
        abort(422, messages={"json": {"profiles": [f"At most {most} profiles per request, got {len(items)}."]}})
    engine = served().batch
    results, accepted = [None] * len(items), []
    for index, item in enumerate(items):
        try:
            runner = Profile.from_dict(_PROFILE.load(item))
            engine.check(runner)
        except ma.ValidationError as exc:
            results[index] = _failed(index, problem_body(422, "Invalid profile", item_errors(exc.messages, item)))
        except InvalidProfile as exc:
            results[index] = _failed(index, problem_body(422, "Invalid profile", exc.errors))
        else:
            accepted.append((index, runner))
    catalog = engine.catalog
    for (index, runner), picks in zip(accepted, engine.score([r for _, r in accepted]), strict=True):
        results[index] = {
            "index": index,
            "status": 200,
            "warnings": engine.assess(runner).warnings,
            "recommendations": [
                _batch_pick(rank, catalog.get(shoe_id), score)
                for rank, (shoe_id, score) in enumerate(zip(picks.ids[: runner.limit], picks.scores), 1)
            ],
            "candidates": picks.candidates,
        }
    return json_response(
        {
            "results": results,
            "scored": len(accepted),
            "failed": len(items) - len(accepted),
            "catalog": recommender().catalog_info(),
        }
    )


def _batch_pick(rank, shoe, score):
    return {"rank": rank, "id": shoe["id"], "brand": shoe["brand"], "model": shoe["model"], "score": round(score, 3)}


def _failed(index, body):
    return {"index": index, "status": body["status"], "problem": body}


def _revalidated(bp):
    return bp.doc(responses={"304": {"description": "Not Modified: If-None-Match holds the current ETag"}})


def _conditional(tag, build):
    """`build()`'s response with ETag `tag`, or a 304 when the client holds that tag already."""
    if flask.request.if_none_match.contains_weak(tag):
        response = flask.current_app.response_class(status=304)
    else:
        response = build()
    response.headers["ETag"] = quote_etag(tag)
    return response


@shoes_bp.route("/shoes", methods=["GET"])
@shoes_bp.arguments(schemas.ShoeQuerySchema(), location="query", unknown=ma.RAISE)
@shoes_bp.response(200, schemas.ShoePageSchema)
@_documented_errors(shoes_bp, "422")
@_revalidated(shoes_bp)
def list_shoes(query):
    """List catalog shoes, filtered and paged

    The ETag changes with the catalog version and the query; If-None-Match with it gets 304.
    """
    # Each page and filter is its own representation, so the query goes into the tag beside the catalog version.
    asked = hashlib.blake2b(orjson.dumps(query, option=orjson.OPT_SORT_KEYS), digest_size=8).hexdigest()
    return _conditional(f"{recommender().catalog.version}-{asked}", lambda: json_response(_shoe_page(query)))


def _shoe_page(query):
    catalog = recommender().catalog
    brand = query.get("brand", "").casefold()
    wanted = (
        shoe
        for shoe in catalog.shoes
        if (not brand or shoe["brand"].casefold() == brand)
        and query.get("terrain") in (None, shoe["terrain"])
        and query.get("category") in (None, shoe["category"])
        and (query.get("width") is None or query["width"] in shoe["widths"])
        and (query.get("max_price") is None or shoe["price"] <= query["max_price"])
    )
    matching = list(wanted)
    page, per_page = query["page"], query["per_page"]
    start = (page - 1) * per_page
    return {
        "items": matching[start : start + per_page],
        "total": len(matching),
        "page": page,
        "per_page": per_page,
        "catalog": recommender().catalog_info(),
    }


@shoes_bp.route("/shoes/<shoe_id>", methods=["GET"])
@shoes_bp.response(200, schemas.ShoeSchema)
@_documented_errors(shoes_bp, "404")
@_revalidated(shoes_bp)
def get_shoe(shoe_id):
    """One catalog shoe

    The ETag is the catalog version; If-None-Match with it gets 304.
    """
    catalog = recommender().catalog
    shoe = catalog.get(shoe_id)
    if shoe is None:
        abort(404, message=f"No shoe with id {shoe_id!r} in catalog {catalog.version}.")
    return _conditional(catalog.version, lambda: json_response(shoe))


@shoes_bp.route("/shoes/<shoe_id>/similar", methods=["GET"])
@shoes_bp.arguments(schemas.SimilarQuerySchema(), location="query", unknown=ma.RAISE)
@shoes_bp.response(200, schemas.SimilarShoesSchema)
@_documented_errors(shoes_bp, "404", "422")
def similar_shoes(query, shoe_id):
    """Catalog shoes most like one shoe, nearest first

    Measured on the rating attributes, weight and drop, each scaled to the catalog's range.
    """
    catalog = recommender().catalog
    row = catalog.index.get(shoe_id)
    if row is None:
        abort(404, message=f"No shoe with id {shoe_id!r} in catalog {catalog.version}.")
    return json_response(
        {
            "shoe_id": shoe_id,
            "attributes": list(similar.FEATURES),
            "items": [
                {**catalog.shoes[other], "similarity": round(alike, 4), "distance": round(distance, 4)}
                for other, distance, alike in similar.space(catalog).neighbours(row, query["limit"])
            ],
            "catalog": recommender().catalog_info(),
        }
    )


@meta_bp.route("/healthz", methods=["GET"])
@meta_bp.response(200, schemas.StatusSchema)
def healthz():
    """The process is alive"""
    return json_response({"status": "ok"})


@meta_bp.route("/readyz", methods=["GET"])
@meta_bp.response(200, schemas.StatusSchema)
@_documented_errors(meta_bp, "503")
def readyz():
    """A valid catalog is loaded and being served, and the fittings database answers"""
    try:
        flask.current_app.extensions["shoefit.store"].ping()
    except SQLAlchemyError:
        log.warning("fittings database does not answer", exc_info=True)
        return problem(503, "Service Unavailable", "The fittings database does not answer; see the server log.")
    return json_response({"status": "ready", "catalog": recommender().catalog_info()})
