"""Catalog updates while the service runs: upload a new catalog, or re-read the configured one.

Registered only when SHOEFIT_ADMIN_KEYS names a key: without one these endpoints do not
exist, not even in the OpenAPI document. A catalog is validated in full before anything
changes; an accepted one reaches every worker (served_catalog.py).
"""

import dataclasses
import hmac

import flask
from flask_smorest import Blueprint, abort

from ...core.catalog_csv import CatalogError
from ...core.weights_overlay import WeightsError
from .. import catalog_schemas as schemas
from ..context import catalog_holder, served_catalog
from ..problems import documented
from ..responses import json_response

bp = Blueprint(
    "admin", __name__, url_prefix="/v1/admin", description="Catalog updates; each request needs an admin key."
)

SECURITY_SCHEME = "adminKey"
UPLOAD_NAME = "(uploaded catalog)"
DESCRIPTIONS = {
    "401": "No admin key: send 'Authorization: Bearer <key>'",
    "403": "Not an admin key",
    "413": "Catalog larger than SHOEFIT_ADMIN_MAX_CATALOG_BYTES",
    "415": "Not text/csv",
    "422": "Invalid catalog: every problem is listed, and the catalog in force keeps serving",
}


def register(api):
    """Add the admin endpoints to `api` (only call it when admin keys are configured)."""
    api.spec.components.security_scheme(
        SECURITY_SCHEME,
        {"type": "http", "scheme": "bearer", "description": "One of the keys in SHOEFIT_ADMIN_KEYS."},
    )
    api.register_blueprint(bp)


def _documented(*codes):
    return documented(
        bp,
        *codes,
        descriptions=DESCRIPTIONS,
        schemas={"422": schemas.CatalogProblemsSchema},
        security=[{SECURITY_SCHEME: []}],
    )


@bp.before_request
def require_admin_key():
    scheme, _, key = flask.request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        abort(
            401,
            message="Send an admin key as 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": 'Bearer realm="shoefit admin"'},
        )
    if not _is_admin_key(key, flask.current_app.config["ADMIN_KEYS"]):
        abort(403, message="That is not an admin key.")
    flask.request.max_content_length = flask.current_app.config["ADMIN_MAX_CATALOG_BYTES"]


def _is_admin_key(sent, keys):
    sent = sent.encode()
    matched = False
    # Every key is compared, each in constant time: how long this takes says nothing about which key nearly matched.
    for key in keys:
        matched |= hmac.compare_digest(sent, key.encode())
    return matched


@bp.route("/catalog", methods=["POST"])
@bp.doc(
    requestBody={
        "required": True,
        "description": "The catalog CSV, in the format `shoefit validate-catalog` checks.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
)
@bp.response(200, schemas.CatalogSwapSchema)
@_documented("401", "403", "413", "415", "422")
def upload_catalog():
    """Serve a new catalog

    The CSV is validated in full first: a catalog with any problem is refused with all
    of them listed, and the catalog in force keeps serving. An accepted one replaces it
    at once in this worker and within a second in the others (a catalog of many thousand
    shoes once they have loaded it, seconds, serving the old one meanwhile), and survives
    a restart.
    """
    request = flask.request
    if request.mimetype != "text/csv":
        abort(
            415,
            message=f"Send the catalog as the body with 'Content-Type: text/csv' (got {request.mimetype or 'none'!r}).",
        )
    return _replace_catalog(lambda holder: holder.upload(request.get_data(cache=False), UPLOAD_NAME))


@bp.route("/catalog/reload", methods=["POST"])
@bp.response(200, schemas.CatalogSwapSchema)
@_documented("401", "403", "422")
def reload_catalog():
    """Serve the configured catalog file again

    Re-reads SHOEFIT_CATALOG (or the bundled catalog), validated as an upload is; also
    the way back to it after an upload. Re-reads the weights overlay SHOEFIT_WEIGHTS too,
    if one is set: a bad one is refused (422) and the one in force goes on serving.
    """
    return _replace_catalog(lambda holder: holder.reload())


def _replace_catalog(change):
    holder = catalog_holder()
    try:
        previous, now = change(holder)
    except CatalogError as exc:
        in_force = served_catalog().catalog.version
        detail = f"{len(exc.problems)} problem(s); catalog {in_force} keeps serving. First: {exc.problems[0]}"
        abort(422, title="Invalid catalog", message=detail, errors=[dataclasses.asdict(p) for p in exc.problems])
    except WeightsError as exc:
        detail = (
            f"{len(exc.problems)} problem(s); the weights overlay in force keeps serving: {'; '.join(exc.problems)}"
        )
        abort(422, title="Invalid weights overlay", message=detail)
    overlay = now.recommender.knowledge.overlay
    return json_response(
        {
            "catalog": now.info(),
            "previous_version": previous.catalog.version,
            "calibration": None if overlay is None else overlay.info(),
        }
    )
