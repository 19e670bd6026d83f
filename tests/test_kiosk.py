"""The kiosk page as served: where it lives, what it may load, its settings and its one file of texts."""

import json
import re
from pathlib import Path

import pytest

from shoefit import create_app
from shoefit.config import ConfigError
from shoefit.web.routes.kiosk import ASSETS, load_texts

KIOSK = Path(str(ASSETS))


def test_the_root_leads_to_the_kiosk(client):
    answer = client.get("/")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/kiosk")
    page = client.get("/kiosk")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b'src="kiosk/assets/js/kiosk.js"' in page.data


def test_the_page_may_load_nothing_but_its_own_files(client):
    page = client.get("/kiosk")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["Cache-Control"] == "no-cache"
    for path in sorted(KIOSK.rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text), f"{path.name} names another host"
            served = client.get(f"/kiosk/assets/{path.relative_to(KIOSK).as_posix()}")
            assert served.status_code == 200, path


def test_the_page_preloads_every_module_it_imports():
    html = (KIOSK / "index.html").read_text(encoding="utf-8")
    preloaded = set(re.findall(r'rel="modulepreload" href="kiosk/assets/js/(\w+\.js)"', html))
    entry = set(re.findall(r'<script type="module" src="kiosk/assets/js/(\w+\.js)"', html))
    assert preloaded | entry == {p.name for p in (KIOSK / "js").glob("*.js")} and not preloaded & entry


def test_settings_carry_the_idle_time_and_the_texts(tmp_path):
    app = create_app({"TESTING": True, "KIOSK_IDLE_SECONDS": 45})
    settings = app.test_client().get("/kiosk/settings.json").get_json()
    assert settings["idle_seconds"] == 45
    assert settings["texts"] == load_texts()


def keys_used():
    used = set()
    for path in KIOSK.rglob("*"):
        if path.suffix in (".js", ".html"):
            text = path.read_text(encoding="utf-8")
            used |= set(re.findall(r'data-text="([\w.]+)"', text))
            used |= set(re.findall(r'\bt\("([\w.]+)"', text))
            used |= set(re.findall(r'key: "([\w.]+)"', text))
            used |= set(re.findall(r'noneKey = "([\w.]+)"', text))
            used |= set(re.findall(r'"(answer\.\w+)"', text))
    return used


def test_every_text_the_page_shows_is_in_the_one_texts_file():
    texts = load_texts()
    used = keys_used()
    assert len(used) > 60
    assert sorted(used - set(texts)) == []
    # Keys made from parts: step titles, questions, comfort levels, verdicts.
    scripts = "".join(p.read_text(encoding="utf-8") for p in KIOSK.rglob("*.js"))
    for step in re.findall(r'\{ id: "(\w+)", questions', scripts):
        assert f"step.{step}.title" in texts and f"step.{step}.intro" in texts
    for question in re.findall(r'(?:single|multiple)\("(\w+)"|name: "(\w+)", kind', scripts):
        name = next(q for q in question if q)
        assert f"question.{name}" in texts
    assert all(f"comfort.{n}" in texts for n in range(1, 6))
    assert all(f"verdict.{v}" in texts for v in ("meets", "short", "over"))
    # And nothing in the file is dead: a translator should not have to translate what is never shown.
    composed = ("step.", "question.", "comfort.", "verdict.")
    page = "".join(p.read_text(encoding="utf-8") for p in KIOSK.rglob("*") if p.suffix in (".js", ".html"))
    mentioned = set(re.findall(r'"([\w.]+)"', page))
    unused = [key for key in texts if key not in used | mentioned and not key.startswith(composed)]
    assert unused == []


def test_a_stores_texts_may_translate_and_relabel_answers(tmp_path):
    path = tmp_path / "texts.json"
    path.write_text(json.dumps({"welcome.start": "Los geht's", "vocabulary.width.wide.label": "Breit"}))
    texts = load_texts(str(path))
    assert texts["welcome.start"] == "Los geht's" and texts["vocabulary.width.wide.label"] == "Breit"
    assert texts["nav.next"] == load_texts()["nav.next"]


@pytest.mark.parametrize(
    "content, message",
    [
        ({"welcom.title": "x"}, "unknown text key 'welcom.title'"),
        ({"vocabulary.width.huge.label": "x"}, "unknown text key 'vocabulary.width.huge.label'"),
        ({"welcome.title": 3}, "'welcome.title' must be a string"),
        (["welcome.title"], "expected a JSON object"),
    ],
)
def test_a_bad_texts_file_stops_start_up_naming_the_key(tmp_path, content, message):
    path = tmp_path / "texts.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ConfigError, match=re.escape(message)):
        create_app({"TESTING": True, "KIOSK_TEXTS": str(path)})


def test_a_missing_texts_file_names_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="SHOEFIT_KIOSK_TEXTS="):
        create_app({"TESTING": True, "KIOSK_TEXTS": str(tmp_path / "nope.json")})
