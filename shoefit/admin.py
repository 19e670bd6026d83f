"""Catalog updates while the service runs: upload a new catalog, or re-read the configured one.

Registered only when SHOEFIT_ADMIN_KEYS names a key: without one these endpoints do not
exist, not even in the OpenAPI document. A catalog is validated in full before anything
changes; an accepted one reaches every worker (served.py).
"""

import dataclasses
import hmac

import flask
import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import fields as f

from . import schemas, served
from .api import json_response
from .catalog import CatalogError
from .problems import problem

admin_bp = Blueprint(
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


class CatalogProblemsSchema(schemas.ProblemSchema):
    errors = f.List(f.Nested(CatalogProblemSchema))


def register(api):
    """Add the admin endpoints to `api` (only call it when admin keys are configured)."""
    api.spec.components.security_scheme(
        SECURITY_SCHEME,
        {"type": "http", "scheme": "bearer", "description": "One of the keys in SHOEFIT_ADMIN_KEYS."},
    )
    api.register_blueprint(admin_bp)


def _documented(*codes):
    responses = {}
    for code in codes:
        schema = CatalogProblemsSchema if code == "422" else schemas.ProblemSchema
        responses[code] = {
            "description": DESCRIPTIONS[code],
            "content": {"application/problem+json": {"schema": schema}},
        }
    return admin_bp.doc(security=[{SECURITY_SCHEME: []}], responses=responses)


@admin_bp.before_request
def require_admin_key():
    scheme, _, key = flask.request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        return problem(
            401,
            "Unauthorized",
            "Send an admin key as 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": 'Bearer realm="shoefit admin"'},
        )
    if not _is_admin_key(key, flask.current_app.config["ADMIN_KEYS"]):
        return problem(403, "Forbidden", "That is not an admin key.")
    flask.request.max_content_length = flask.current_app.config["ADMIN_MAX_CATALOG_BYTES"]
    return None


def _is_admin_key(sent, keys):
    sent = sent.encode()
    matched = False
    # Every key is compared, each in constant time: how long this takes says nothing about which key nearly matched.
    for key in keys:
        matched |= hmac.compare_digest(sent, key.encode())
    return matched


@admin_bp.route("/catalog", methods=["POST"])
@admin_bp.doc(
    requestBody={
        "required": True,
        "description": "The catalog CSV, in the format `shoefit validate-catalog` checks.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
)
@admin_bp.response(200, CatalogSwapSchema)
@_documented("401", "403", "413", "415", "422")
def upload_catalog():
    """Serve a new catalog

    The CSV is validated in full first: a catalog with any problem is refused with all
    of them listed, and the catalog in force keeps serving. An accepted one replaces it
    at once in every worker (within a second), and survives a restart.
    """
    request = flask.request
    if request.mimetype != "text/csv":
        return problem(
            415,
            "Unsupported Media Type",
            f"Send the catalog as the body with 'Content-Type: text/csv' (got {request.mimetype or 'none'!r}).",
        )
    return _replace_catalog(lambda holder: holder.upload(request.get_data(cache=False), UPLOAD_NAME))


@admin_bp.route("/catalog/reload", methods=["POST"])
@admin_bp.response(200, CatalogSwapSchema)
@_documented("401", "403", "422")
def reload_catalog():
    """Serve the configured catalog file again

    Re-reads SHOEFIT_CATALOG (or the bundled catalog), validated as an upload is; also
    the way back to it after an upload.
    """
    return _replace_catalog(lambda holder: holder.reload())


def _replace_catalog(change):
    holder = served.holder()
    try:
        previous, now = change(holder)
    except CatalogError as exc:
        in_force = holder.current.catalog.version
        detail = f"{len(exc.problems)} problem(s); catalog {in_force} keeps serving. First: {exc.problems[0]}"
        return problem(422, "Invalid catalog", detail, [dataclasses.asdict(p) for p in exc.problems])
    return json_response({"catalog": now.info(), "previous_version": previous.catalog.version})
