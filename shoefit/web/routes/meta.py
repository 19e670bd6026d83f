"""Health and readiness probes, for load balancers and orchestrators."""

import logging

from sqlalchemy.exc import SQLAlchemyError

from .. import catalog_schemas as schemas
from ..context import recommender, store
from ..json_body import Blueprint
from ..problems import documented, problem
from ..responses import dumps, json_response

bp = Blueprint("meta", __name__, description="Health and readiness probes.")
log = logging.getLogger("shoefit.api")
# A probe asked many times a second: its answer encoded once.
ALIVE = dumps({"status": "ok"})


@bp.route("/healthz", methods=["GET"])
@bp.response(200, schemas.StatusSchema)
def healthz():
    """The process is alive"""
    return json_response(ALIVE)


@bp.route("/readyz", methods=["GET"])
@bp.response(200, schemas.StatusSchema)
@documented(bp, "503")
def readyz():
    """A valid catalog is loaded and being served, and the fittings database answers"""
    try:
        store().ping()
    except SQLAlchemyError:
        log.warning("fittings database does not answer", exc_info=True)
        return problem(
            503,
            "Service Unavailable",
            "The fittings database does not answer; see the server log.",
            headers={"Retry-After": "5"},
        )
    return json_response({"status": "ready", "catalog": recommender().catalog_info()})
