"""WSGI entry point: `gunicorn wsgi:app`."""

import sys

from sqlalchemy.exc import SQLAlchemyError

from shoefit import create_app
from shoefit.core.errors import ShoefitError

try:
    app = create_app()
except (ShoefitError, SQLAlchemyError, OSError) as exc:
    # Refuse to start rather than serve part of a catalog, or fittings nowhere; say exactly what is wrong.
    print(f"shoefit: not starting: {exc}", file=sys.stderr)
    raise SystemExit(1) from None
