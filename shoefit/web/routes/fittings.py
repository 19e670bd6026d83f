"""Fitting sessions over HTTP: a runner's profile refined in steps, try-ons, and re-ranked picks.

A fitting stores the profile as the client sent it (validated), never anything
about the person. Writes to the profile are conditional on its ETag, so two
fitters working on one customer cannot silently overwrite each other.
"""

import logging

import flask
from flask_smorest import abort
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.http import quote_etag

from ...core.profile import Profile
from ...core.validation import InvalidProfile, ProfileSchema, check_against, load_profile
from ...store.fittings import NotFound, VersionConflict
from .. import fitting_schemas, request_schemas
from ..context import recommender, store
from ..json_body import Blueprint, body, merge_patch
from ..problems import documented, problem, refuse
from ..responses import conditional, json_response

bp = Blueprint(
    "fittings", __name__, url_prefix="/v1/fittings", description="A customer's fitting: profile, try-ons, picks."
)

log = logging.getLogger("shoefit.fittings")
DESCRIPTIONS = {
    "404": "No such fitting (or try-on)",
    "412": "The fitting changed since you read it: GET it again (its ETag is in this response)",
    "428": "If-Match is required: send the ETag of the fitting you read",
}


@bp.url_value_preprocessor
def refuse_impossible_ids(endpoint, values):
    # Ids are URL-safe tokens; PostgreSQL cannot even compare a text holding NUL, so it is not asked.
    fitting_id = (values or {}).get("fitting_id", "")
    if "\x00" in fitting_id:
        abort(404, message=f"No fitting {fitting_id!r}: a fitting id holds no NUL.")


@bp.errorhandler(OperationalError)
@bp.errorhandler(PoolTimeout)
def database_unavailable(error):
    # The database is down, unreachable or silent (every pooled connection stuck on it): the client may retry; a bug
    # would be a 500 instead. The store's errors quote no parameters, so the traceback may be logged.
    log.warning("fittings database does not answer", exc_info=error)
    return problem(
        503,
        "Service Unavailable",
        "The fittings database does not answer; try again shortly.",
        headers={"Retry-After": "5"},
    )


def _documented(*codes):
    return documented(bp, *codes, descriptions=DESCRIPTIONS)


def _tag(fitting):
    # The profile's version: a try-on is not a change of the fitting (it does not make a PATCH stale).
    return str(fitting.version)


def _etag(fitting):
    return quote_etag(_tag(fitting))


def _fitting_response(fitting, status=200):
    response = json_response(_fitting_body(fitting), status)
    response.headers["ETag"] = _etag(fitting)
    if status == 201:
        response.headers["Location"] = _links(fitting.id)["self"]
    return response


def _fitting_body(fitting):
    return {
        "id": fitting.id,
        "version": fitting.version,
        "profile": fitting.profile,
        "created_at": fitting.created_at.isoformat(),
        "updated_at": fitting.updated_at.isoformat(),
        "links": _links(fitting.id),
    }


def _links(fitting_id):
    base = f"/v1/fittings/{fitting_id}"
    return {"self": base, "tryons": f"{base}/tryons", "recommendations": f"{base}/recommendations"}


def _get(fitting_id):
    try:
        return store().get_fitting(fitting_id)
    except NotFound:
        abort(404, message=f"No fitting {fitting_id!r}: it was deleted, purged, or never existed.")


def _profile(answers):
    """The profile stored or patched answers make; a 422 naming each bad field (a brand the catalog now lacks)."""
    try:
        return load_profile(answers, recommender().catalog)
    except InvalidProfile as exc:
        refuse(exc.errors)


def _stale(fitting, sent):
    abort(
        412,
        message=f"If-Match {sent} does not match the fitting's current ETag {_etag(fitting)}: someone changed it "
        "since you read it. GET it again, then repeat your change.",
        headers={"ETag": _etag(fitting)},
    )


@bp.route("", methods=["POST"])
@bp.arguments(ProfileSchema(), example={"arch_type": "flat", "pronation": "overpronation"})
@bp.response(201, fitting_schemas.FittingSchema, headers={"Location": {"schema": {"type": "string"}}})
@_documented("400", "413", "415", "422")
def open_fitting(data):
    """Open a fitting with a runner profile

    The body is a profile as for POST /v1/recommendations. The answer's Location
    and ETag headers are what the next steps need.
    """
    try:
        check_against(recommender().catalog, Profile.from_dict(data))
    except InvalidProfile as exc:
        refuse(exc.errors)
    # Stored as sent: a later PATCH merges into the runner's own answers, not into defaults.
    return _fitting_response(store().create_fitting(body()), 201)


@bp.route("/<fitting_id>", methods=["GET"])
@bp.response(200, fitting_schemas.FittingSchema)
@_documented("404", "422")
def read_fitting(fitting_id):
    """A fitting: its profile, version and links

    Carries an ETag; If-None-Match with it gets 304 while the profile is unchanged.
    """
    fitting = _get(fitting_id)
    return conditional(_tag(fitting), lambda: _fitting_response(fitting))


@bp.route("/<fitting_id>", methods=["PATCH"])
@bp.doc(
    requestBody={
        "required": True,
        "description": "A JSON merge patch (RFC 7396) of the profile: keys given replace the stored ones, "
        "objects (pain, training) merge key by key, null removes a key. The result is validated as a whole.",
        "content": {
            "application/merge-patch+json": {"schema": ProfileSchema},
            "application/json": {"schema": ProfileSchema},
        },
    },
    parameters=[{"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}}],
)
@bp.response(200, fitting_schemas.FittingSchema)
@_documented("400", "404", "412", "413", "415", "422", "428")
def patch_fitting(fitting_id):
    """Change some of a fitting's answers

    Needs If-Match with the ETag last read: a stale one gets 412 and changes nothing.
    """
    fitting = _get(fitting_id)
    if not flask.request.if_match:
        abort(428, message="Send If-Match with the ETag of the fitting you last read.")
    if not flask.request.if_match.contains(_tag(fitting)):
        _stale(fitting, flask.request.headers["If-Match"])
    merged = merge_patch(fitting.profile, body())
    _profile(merged)
    try:
        updated = store().update_fitting(fitting_id, merged, expected_version=fitting.version)
    except VersionConflict as exc:
        _stale(exc.current, flask.request.headers["If-Match"])
    except NotFound:
        abort(404, message=f"No fitting {fitting_id!r}: it was deleted meanwhile.")
    return _fitting_response(updated)


@bp.route("/<fitting_id>", methods=["DELETE"])
@bp.response(204)
@_documented("404", "412", "422")
def delete_fitting(fitting_id):
    """Delete a fitting and its try-ons

    If-Match is honoured when sent: a stale one gets 412 and deletes nothing.
    """
    if_match = flask.request.if_match
    expected = None
    if if_match and not if_match.star_tag:
        fitting = _get(fitting_id)
        if not if_match.contains(_tag(fitting)):
            _stale(fitting, flask.request.headers["If-Match"])
        expected = fitting.version
    try:
        store().delete_fitting(fitting_id, expected_version=expected)
    except NotFound:
        abort(404, message=f"No fitting {fitting_id!r}.")
    except VersionConflict as exc:
        _stale(exc.current, flask.request.headers["If-Match"])
    return flask.current_app.response_class(status=204)


@bp.route("/<fitting_id>/tryons", methods=["POST"])
@bp.arguments(
    request_schemas.TryOnRequestSchema(),
    example={"shoe_id": "brooks-adrenaline-gts-24", "comfort": 4, "fit_notes": ["heel_slippage"]},
)
@bp.response(201, fitting_schemas.TryOnSchema, headers={"Location": {"schema": {"type": "string"}}})
@_documented("400", "404", "413", "415", "422")
def add_tryon(data, fitting_id):
    """Record how a shoe felt on the runner

    Comfort 1-5, fit notes (what went wrong, if anything) and the decision. The
    fitting's recommendations take every try-on into account.
    """
    if recommender().catalog.get(data["shoe_id"]) is None:
        refuse([{"field": "shoe_id", "value": data["shoe_id"], "message": "no such shoe in the catalog being served"}])
    try:
        tryon = store().add_tryon(fitting_id, data["shoe_id"], data["comfort"], data["fit_notes"], data["decision"])
    except NotFound:
        abort(404, message=f"No fitting {fitting_id!r}.")
    response = json_response(_tryon_body(tryon), 201)
    response.headers["Location"] = f"{_links(fitting_id)['tryons']}/{tryon.id}"
    return response


@bp.route("/<fitting_id>/tryons", methods=["GET"])
@bp.response(200, fitting_schemas.TryOnListSchema)
@_documented("404", "422")
def list_tryons(fitting_id):
    """The shoes tried in a fitting, in the order they were tried"""
    tryons = _tryons(fitting_id)
    return json_response({"items": [_tryon_body(t) for t in tryons], "total": len(tryons)})


@bp.route("/<fitting_id>/tryons/<int:tryon_id>", methods=["GET"])
@bp.response(200, fitting_schemas.TryOnSchema)
@_documented("404", "422")
def read_tryon(fitting_id, tryon_id):
    """One try-on of a fitting: what a try-on's Location names"""
    # A fitting holds a handful of try-ons: reading them all costs less than a query of its own in the store.
    tryon = next((t for t in _tryons(fitting_id) if t.id == tryon_id), None)
    if tryon is None:
        abort(404, message=f"No try-on {tryon_id} in fitting {fitting_id!r}.")
    return json_response(_tryon_body(tryon))


def _tryons(fitting_id):
    try:
        return store().tryons(fitting_id)
    except NotFound:
        abort(404, message=f"No fitting {fitting_id!r}.")


def _tryon_body(tryon):
    shoe = recommender().catalog.get(tryon.shoe_id)
    return {
        "id": tryon.id,
        "shoe_id": tryon.shoe_id,
        "shoe": None if shoe is None else {"brand": shoe["brand"], "model": shoe["model"]},
        "comfort": tryon.comfort,
        "fit_notes": list(tryon.fit_notes),
        "decision": tryon.decision,
        "created_at": tryon.created_at.isoformat(),
    }


@bp.route("/<fitting_id>/recommendations", methods=["GET"])
@bp.response(200, fitting_schemas.FittingRecommendationsSchema)
@_documented("404", "422")
def fitting_recommendations(fitting_id):
    """The runner's picks, re-ranked by every try-on so far

    The core answer (requirements, warnings, advice, explained picks) where shoes
    like the comfortable ones move up, shoes like the uncomfortable ones move down,
    fit notes change requirements, tried shoes are marked, and `feedback` says
    what the try-ons changed (null before any try-on). Try-ons of shoes the
    catalog no longer has are left out.
    """
    fitting = _get(fitting_id)
    tryons = _tryons(fitting_id)
    profile = _profile(fitting.profile)
    catalog = recommender().catalog
    # A try-on of a shoe the catalog served now no longer has cannot say what is like it.
    body = recommender().recommend(profile, tryons=[t for t in tryons if catalog.get(t.shoe_id) is not None])
    body.setdefault("feedback", None)
    body["fitting"] = {"id": fitting.id, "version": fitting.version}
    response = json_response(body)
    response.headers["ETag"] = _etag(fitting)
    return response
