"""The store kiosk: one page with its scripts and styles, and its settings and texts (a store's translation)."""

import importlib.resources
import json

import flask

from ...config import ConfigError
from ...core.vocabulary import ENUMS

ASSETS = importlib.resources.files("shoefit.web") / "kiosk"
# The page loads nothing but its own files and the API it sits beside: no CDN, no inline script, no framing.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

bp = flask.Blueprint("kiosk", __name__, static_folder=str(ASSETS), static_url_path="/kiosk/assets")


def load_texts(path=None):
    """The bundled English texts, with a store's own file (SHOEFIT_KIOSK_TEXTS) laid over them.

    A store's file may also relabel any vocabulary answer (`vocabulary.FIELD.VALUE.label` or `.hint`); a key
    that is neither is a typo that would leave English on the screen, so it stops start-up.
    """
    texts = json.loads((ASSETS / "texts.en.json").read_text(encoding="utf-8"))
    if path is None:
        return texts
    try:
        with open(path, encoding="utf-8") as handle:
            store = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"SHOEFIT_KIOSK_TEXTS={path!r}: not a readable JSON file ({exc})") from None
    if not isinstance(store, dict):
        raise ConfigError(f"SHOEFIT_KIOSK_TEXTS={path!r}: expected a JSON object of text keys")
    for key, value in store.items():
        if key not in texts and not _vocabulary_key(key):
            raise ConfigError(f"SHOEFIT_KIOSK_TEXTS={path!r}: unknown text key {key!r}")
        if not isinstance(value, str):
            raise ConfigError(f"SHOEFIT_KIOSK_TEXTS={path!r}: {key!r} must be a string, not {value!r}")
    return {**texts, **store}


def _vocabulary_key(key):
    parts = key.split(".")
    if len(parts) < 4 or parts[0] != "vocabulary" or parts[-1] not in ("label", "hint"):
        return False
    field, value = ".".join(parts[1:-2]), parts[-2]
    return value in ENUMS.get(field, ())


def init_app(app, cfg):
    settings = {"idle_seconds": cfg["KIOSK_IDLE_SECONDS"], "texts": load_texts(cfg["KIOSK_TEXTS"])}
    app.extensions["shoefit.kiosk"] = settings
    app.register_blueprint(bp)


@bp.get("/")
def root():
    return flask.redirect(flask.url_for("kiosk.page"))


@bp.get("/kiosk")
def page():
    return flask.send_from_directory(str(ASSETS), "index.html")


@bp.get("/kiosk/settings.json")
def settings():
    return flask.jsonify(flask.current_app.extensions["shoefit.kiosk"])


@bp.after_request
def page_headers(response):
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Revalidated on every load: a store's update reaches the screen at its next start-over.
    response.headers["Cache-Control"] = "no-cache"
    return response
