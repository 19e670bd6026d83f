"""The app factory: settings, the served catalog, the fittings store, the routes and the per-request machinery."""

import functools

import flask

from .. import config as settings
from ..core.knowledge_base import KnowledgeBase
from ..store.fittings import Store
from . import context, limits, observability, problems, slow_clients
from .routes import admin, batch, fittings, kiosk, meta, recommend, shoes
from .served_catalog import CatalogHolder

API_TITLE = "shoefit"
API_VERSION = "1.0"


class Flask(flask.Flask):
    """Flask, asking once per function whether it is a coroutine function rather than on every call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Flask calls ensure_sync for every hook and view of every request, and inspect's check costs more than
        # some of the hooks. Bounded, in case an extension hands it a new function each time.
        self.ensure_sync = functools.lru_cache(maxsize=1024)(super().ensure_sync)


def create_app(config=None):
    """Build the app. `config` overrides SHOEFIT_* variables, keyed without the prefix."""
    cfg = settings.load(config)
    # Named "shoefit" wherever this module lives: the name is the app's logger and Flask's instance folder rule.
    app = Flask("shoefit", instance_relative_config=True, instance_path=settings.instance_path(cfg))
    app.config.update(cfg)
    app.config.update(
        MAX_CONTENT_LENGTH=cfg["MAX_BODY_BYTES"],
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Runner profile in; documented requirements, red-flag warnings and ranked, explained shoes out."
            }
        },
    )
    # Loaded before serving anything: an invalid catalog or rules file stops start-up. The catalog is the one the
    # instance folder's catalog.current names (an upload), else SHOEFIT_CATALOG.
    knowledge = KnowledgeBase.load(cfg["RULES"])
    holder = CatalogHolder(app.instance_path, cfg["CATALOG"], knowledge, cfg["MEMO_SIZE"], cfg["WEIGHTS"])
    store = Store.for_instance(cfg["DATABASE_URL"], app.instance_path, cfg["DATABASE_TIMEOUT"])
    if cfg["AUTO_MIGRATE"]:
        store.upgrade()
    context.init_app(app, holder, store)

    problems.register(app)
    rest = problems.Api(app)
    for blueprint in (recommend.bp, batch.bp, shoes.bp, fittings.bp, meta.bp):
        rest.register_blueprint(blueprint)
    if cfg["ADMIN_KEYS"]:
        admin.register(rest)
    _serve_docs_assets(app)
    kiosk.init_app(app, cfg)
    slow_clients.init_app(app, cfg["CLIENT_TIMEOUT"])
    observability.init_app(app, cfg)
    limits.init_app(app, cfg)
    return app


def _serve_docs_assets(app):
    # Swagger UI's scripts ship in a wheel, so the docs page works without a CDN.
    import importlib.resources

    folder = str(importlib.resources.files("flask_swagger_ui") / "dist")

    @app.get("/docs/assets/<path:filename>")
    def docs_assets(filename):
        return flask.send_from_directory(folder, filename)
