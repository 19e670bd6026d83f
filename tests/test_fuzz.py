"""Schemathesis against the served OpenAPI document: every operation fuzzed in-process (WSGI) with all
checks on. No 5xx, no response outside its documented schema and status codes, no invalid input accepted."""

import tempfile

import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.config import SchemathesisConfig

from shoefit import create_app

# Built at import, as schemathesis needs the schema to parametrize the test: hence a database in a
# folder of its own (the session fixtures that keep tests out of the checkout have not run yet).
_FOLDER = tempfile.TemporaryDirectory(prefix="shoefit-fuzz-")
APP = create_app({"DATABASE_URL": f"sqlite:///{_FOLDER.name}/fittings.sqlite3", "RATE_LIMIT": "off"})
# Whether a shoe id or a brand exists depends on the catalog being served, which a static schema
# cannot say: there, a valid-looking request may rightly get a 422 naming the field.
CATALOG_DEPENDENT = [
    ("POST", "/v1/recommendations"),
    ("POST", "/v1/requirements"),
    ("POST", "/v1/fittings"),
    ("POST", "/v1/fittings/{fitting_id}/tryons"),
]
CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-method": method,
                "include-path": path,
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422"]}
                },
            }
            for method, path in CATALOG_DEPENDENT
        ]
    }
)
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP, config=CONFIG)


@schema.parametrize()
# derandomize: the same examples on every run, so CI is repeatable; 40 per operation keeps it near a minute.
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_documented_contract(case):
    case.call_and_validate()


def test_the_openapi_document_validates_with_and_without_admin_endpoints(tmp_path):
    validate(APP.test_client().get("/openapi.json").get_json())
    with_admin = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/f.sqlite3", "INSTANCE_PATH": str(tmp_path), "ADMIN_KEYS": ("k",)}
    )
    spec = with_admin.test_client().get("/openapi.json").get_json()
    validate(spec)
    assert "/v1/admin/catalog/reload" in spec["paths"]
