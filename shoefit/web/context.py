"""What a request works with, one accessor each, as flaskr's get_db(): the served catalog and the fittings store.

init_app() puts the catalog holder and the store in app.extensions. Each request takes the
ServedCatalog in force once, at its start, into flask.g: every accessor of that request sees the same
catalog, however soon an upload swaps it.
"""

import flask

HOLDER = "shoefit.catalog_holder"
STORE = "shoefit.store"


def init_app(app, holder, store):
    app.extensions[HOLDER] = holder
    app.extensions[STORE] = store

    @app.before_request
    def take_served_catalog():
        # Set on the object behind the proxy: through the proxy, the assignment costs more than the hook's own work.
        flask.g._get_current_object().served_catalog = holder.served_catalog()


def served_catalog():
    """This request's ServedCatalog: the catalog, its recommender and its batch engine."""
    return flask.g.served_catalog


def recommender():
    return flask.g.served_catalog.recommender


def store():
    """The fittings store."""
    return flask.current_app.extensions[STORE]


def catalog_holder(app=None):
    """The CatalogHolder of `app` (default: the current one), which uploads and reloads go through."""
    return (app or flask.current_app).extensions[HOLDER]
