"""The catalog being served: shoes listed and filtered, one shoe, and the shoes most like it."""

import hashlib

import marshmallow as ma
import orjson
from flask_smorest import abort

from ...core import similar
from .. import catalog_schemas, request_schemas
from ..context import recommender
from ..json_body import Blueprint
from ..problems import documented
from ..responses import conditional, json_response

bp = Blueprint("shoes", __name__, url_prefix="/v1", description="The catalog being served.")
NO_SUCH_SHOE = {"404": "No such shoe"}


def _revalidated():
    return bp.doc(responses={"304": {"description": "Not Modified: If-None-Match holds the current ETag"}})


@bp.route("/shoes", methods=["GET"])
@bp.arguments(request_schemas.ShoeQuerySchema(), location="query", unknown=ma.RAISE)
@bp.response(200, catalog_schemas.ShoePageSchema)
@documented(bp, "422")
@_revalidated()
def list_shoes(query):
    """List catalog shoes, filtered and paged

    The ETag changes with the catalog version and the query; If-None-Match with it gets 304.
    """
    # Each page and filter is its own representation, so the query goes into the tag beside the catalog version.
    asked = hashlib.blake2b(orjson.dumps(query, option=orjson.OPT_SORT_KEYS), digest_size=8).hexdigest()
    return conditional(f"{recommender().catalog.version}-{asked}", lambda: json_response(_shoe_page(query)))


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


@bp.route("/shoes/<shoe_id>", methods=["GET"])
@bp.response(200, catalog_schemas.ShoeSchema)
@documented(bp, "404", "422", descriptions=NO_SUCH_SHOE)
@_revalidated()
def get_shoe(shoe_id):
    """One catalog shoe

    The ETag is the catalog version; If-None-Match with it gets 304.
    """
    catalog = recommender().catalog
    shoe = catalog.get(shoe_id)
    if shoe is None:
        abort(404, message=f"No shoe with id {shoe_id!r} in catalog {catalog.version}.")
    return conditional(catalog.version, lambda: json_response(shoe))


@bp.route("/shoes/<shoe_id>/similar", methods=["GET"])
@bp.arguments(request_schemas.SimilarQuerySchema(), location="query", unknown=ma.RAISE)
@bp.response(200, catalog_schemas.SimilarShoesSchema)
@documented(bp, "404", "422", descriptions=NO_SUCH_SHOE)
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
