"""shoefit: symptom-aware running-shoe recommendations with documented rules and red flags."""

import flask

from . import admin, api, config as settings, fittings, limits, observability, problems, served
from .rules import KnowledgeBase
from .store import Store

API_TITLE = "shoefit"
API_VERSION = "1.0"


def create_app(config=None):
    """Build the app. `config` overrides SHOEFIT_* variables, keyed without the prefix."""
    cfg = settings.load(config)
    app = flask.Flask(__name__, instance_relative_config=True, instance_path=cfg["INSTANCE_PATH"])
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
    served.install(app, served.ServedCatalog(app.instance_path, cfg["CATALOG"], knowledge, cfg["MEMO_SIZE"]))
    store = Store.for_instance(cfg["DATABASE_URL"], app.instance_path)
    if cfg["AUTO_MIGRATE"]:
        store.upgrade()
    app.extensions["shoefit.store"] = store

    problems.register(app)
    rest = problems.Api(app)
    for blueprint in (api.recommend_bp, api.batch_bp, api.shoes_bp, fittings.fittings_bp, api.meta_bp):
        rest.register_blueprint(blueprint)
    if cfg["ADMIN_KEYS"]:
        admin.register(rest)
    _serve_docs_assets(app)
    observability.init_app(app, cfg)
    limits.init_app(app, cfg)
    return app


def _serve_docs_assets(app):
    # Swagger UI's scripts ship in a wheel, so the docs page works without a CDN.
    import swagger_ui_bundle

    folder = swagger_ui_bundle.swagger_ui_path

    @app.get("/docs/assets/<path:filename>")
    def docs_assets(filename):
        return flask.send_from_directory(folder, filename)
