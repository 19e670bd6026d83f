"""`shoefit validate-catalog` and `shoefit openapi`: the catalog file checked, the API described."""

import json
import sys

from ..core.catalog import Catalog
from ..core.catalog_csv import CatalogError, read_bytes
from .common import EXIT_OK, EXIT_REJECTS, fail


def validate_catalog(args):
    try:
        data = read_bytes(args.path)
    except CatalogError as exc:
        # No file to judge, as for `shoefit score`: a usage problem, not a verdict on a catalog.
        return fail(*(f"{args.path}: {problem.message}" for problem in exc.problems))
    try:
        catalog = Catalog.from_bytes(data, args.path)
    except CatalogError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{args.path}: {len(exc.problems)} problem(s); the service would refuse this file.", file=sys.stderr)
        return EXIT_REJECTS
    brands = len(catalog.brands)
    print(f"{args.path}: valid, {len(catalog)} shoes from {brands} brands, version {catalog.version}")
    return EXIT_OK


def openapi(args):
    from ..web.app import create_app

    # The document needs no database: do not create or migrate one.
    app = create_app({"CATALOG": args.catalog, "AUTO_MIGRATE": False})
    spec = app.test_client().get("/openapi.json").get_json()
    json.dump(spec, sys.stdout, indent=2)
    print()
    return 0


def add_commands(commands):
    check = commands.add_parser("validate-catalog", help="check a catalog CSV and list every problem")
    check.add_argument("path")
    check.set_defaults(run=validate_catalog)
    spec = commands.add_parser("openapi", help="print the OpenAPI document")
    spec.add_argument("--catalog", help="catalog CSV (default: the bundled one)")
    spec.set_defaults(run=openapi)
