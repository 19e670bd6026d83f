import contextlib
import os
import secrets

import pytest
import sqlalchemy as sa

from shoefit import create_app
from shoefit.core.catalog import Catalog
from shoefit.core.knowledge_base import KnowledgeBase
from shoefit.store.engine import sqlalchemy_url
from shoefit.store.fittings import Store

POSTGRES_TEST_URL = "SHOEFIT_TEST_DATABASE_URL"


@pytest.fixture(scope="session", autouse=True)
def server_files_outside_the_checkout(tmp_path_factory):
    # Without these, create_app() keeps fittings and uploaded catalogs in the checkout's instance folder,
    # where a developer's own uploads would change what the tests are served.
    instance = tmp_path_factory.mktemp("instance")
    url = sa.URL.create("sqlite", database=str(instance / "shoefit.sqlite3"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOEFIT_INSTANCE_PATH", str(instance))
        patch.setenv("SHOEFIT_DATABASE_URL", url.render_as_string())
        # The suite sends thousands of requests from one address; test_limits.py turns rate limiting on itself.
        patch.setenv("SHOEFIT_RATE_LIMIT", "off")
        yield


@pytest.fixture(scope="session")
def app():
    return create_app({"TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def catalog():
    return Catalog.load()


@pytest.fixture(scope="session")
def knowledge():
    return KnowledgeBase.load()


# Fittings databases, for the store tests and the API tests alike. Each test using one runs twice:
#   database_url  a fresh, empty database (no tables): a SQLite file in tmp_path, and a PostgreSQL schema.
#   store_url     the same, upgraded to the latest schema; give it to Store(url) or create_app({"DATABASE_URL": url}).
# The PostgreSQL runs need SHOEFIT_TEST_DATABASE_URL (.ci/run sets it when a server answers on 127.0.0.1:5432) and
# are skipped without it. Each test gets its own schema there (the URL sets search_path), dropped afterwards, so
# runs sharing one database cannot collide.


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield sa.URL.create("sqlite", database=str(tmp_path / "fittings.sqlite3")).render_as_string()
        return
    server = os.environ.get(POSTGRES_TEST_URL)
    if not server:
        pytest.skip(f"{POSTGRES_TEST_URL} is not set: no PostgreSQL to test against")
    with _postgres_schema(server) as url:
        yield url


@pytest.fixture()
def store_url(database_url):
    store = Store(database_url)
    try:
        store.upgrade()
    finally:
        store.close()
    return database_url


@contextlib.contextmanager
def _postgres_schema(server):
    url = sqlalchemy_url(server)
    schema = f"shoefit_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(url, poolclass=sa.NullPool)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
