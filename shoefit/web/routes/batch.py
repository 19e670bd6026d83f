"""Many runners in one request: each profile validated on its own, all scored by the batch engine."""

import flask

from ...core.errors import summary
from ...core.validation import InvalidProfile, load_profile
from .. import request_schemas, response_schemas
from ..context import recommender, served_catalog
from ..json_body import Blueprint, unreadable
from ..problems import DETAIL_ERRORS, documented, problem_body, refuse
from ..responses import json_response

bp = Blueprint("batch", __name__, url_prefix="/v1/batch", description="Many runners in one request.")


@bp.before_request
def allow_larger_bodies():
    flask.request.max_content_length = flask.current_app.config["BATCH_MAX_BODY_BYTES"]


@bp.route("/recommendations", methods=["POST"])
@bp.arguments(request_schemas.BatchRequestSchema())
@bp.response(200, response_schemas.BatchResponseSchema)
@documented(bp, "400", "413", "415", "422")
def batch_recommendations(data):
    """Rank the catalog for many runners

    Each profile is validated on its own: a bad one gets its own problem (with its
    status) in its place, and the others are still answered. Picks carry no
    breakdown or why; ask POST /v1/recommendations for one runner's explanation.
    """
    items = data["profiles"]
    most = flask.current_app.config["BATCH_MAX_PROFILES"]
    if len(items) > most:
        # No value: echoing a thousand profiles back says nothing the client does not know.
        refuse([{"field": "profiles", "message": f"At most {most} profiles per request, got {len(items)}."}])
    engine = served_catalog().engine
    results, accepted = [None] * len(items), []
    for index, item in enumerate(items):
        errors = unreadable(item)
        if not errors:
            try:
                accepted.append((index, load_profile(item, engine.catalog)))
                continue
            except InvalidProfile as exc:
                errors = exc.errors
        body = problem_body(422, "Invalid profile", summary(errors, DETAIL_ERRORS), errors)
        results[index] = {"index": index, "status": 422, "problem": body}
    runners = [r for _, r in accepted]
    for (index, runner), picks in zip(accepted, engine.score(runners, [r.limit for r in runners]), strict=True):
        results[index] = _answer(index, runner, picks, engine)
    scored = len(accepted)
    body = {
        "results": results,
        "scored": scored,
        "failed": len(items) - scored,
        "catalog": recommender().catalog_info(),
    }
    overlay = recommender().knowledge.overlay
    if overlay is not None:
        body["calibration"] = overlay.info()
    return json_response(body)


def _answer(index, runner, picks, engine):
    return {
        "index": index,
        "status": 200,
        "triage": picks.triage,
        "warnings": engine.assess(runner).warnings,
        "recommendations": [
            _pick(rank, engine.catalog.get(shoe_id), score)
            for rank, (shoe_id, score) in enumerate(zip(picks.ids[: runner.limit], picks.scores), 1)
        ],
        "candidates": picks.candidates,
    }


def _pick(rank, shoe, score):
    return {"rank": rank, "id": shoe["id"], "brand": shoe["brand"], "model": shoe["model"], "score": round(score, 3)}
