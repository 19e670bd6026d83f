import pytest

from shoefit import create_app
from shoefit.catalog import Catalog
from shoefit.rules import KnowledgeBase


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
