import flask
import pytest

from shoefit import config, create_app
from shoefit.config import ConfigError


def test_defaults_then_environment_then_explicit_overrides():
    assert config.load(environ={})["MAX_BODY_BYTES"] == 64 * 1024
    assert config.load(environ={"SHOEFIT_MAX_BODY_BYTES": "1000"})["MAX_BODY_BYTES"] == 1000
    assert config.load({"MAX_BODY_BYTES": 5}, environ={"SHOEFIT_MAX_BODY_BYTES": "1000"})["MAX_BODY_BYTES"] == 5
    assert config.load(environ={"SHOEFIT_CATALOG": ""})["CATALOG"] is None


@pytest.mark.parametrize("raw", ["lots", "-1", "0"])
def test_a_bad_setting_names_the_variable(raw):
    with pytest.raises(ConfigError, match=f"SHOEFIT_MAX_BODY_BYTES={raw!r}"):
        config.load(environ={"SHOEFIT_MAX_BODY_BYTES": raw})


def test_body_limit_setting_reaches_the_app(monkeypatch):
    monkeypatch.setenv("SHOEFIT_MAX_BODY_BYTES", "100")
    client = create_app().test_client()
    response = client.post("/v1/recommendations", json={"symptoms": ["forefoot_pain"] * 10})
    assert response.status_code == 413


def test_every_setting_is_documented_in_the_readme():
    from helpers import ROOT

    readme = (ROOT / "README.md").read_text()
    for setting in config.SETTINGS:
        assert f"SHOEFIT_{setting.name}" in readme


def test_fittings_storage_defaults_to_sqlite_and_migrating_at_start():
    settings = config.load(environ={})
    assert settings["DATABASE_URL"] is None and settings["AUTO_MIGRATE"] is True
    url = "postgresql://shoefit@db/shoefit"
    assert config.load(environ={"SHOEFIT_DATABASE_URL": url})["DATABASE_URL"] == url


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("0", False), ("true", True), (" Off ", False), ("YES", True), ("no", False)]
)
def test_a_switch_takes_the_usual_spellings(raw, value):
    assert config.load(environ={"SHOEFIT_AUTO_MIGRATE": raw})["AUTO_MIGRATE"] is value


@pytest.mark.parametrize("raw", ["2", "nope", "enabled"])
def test_a_bad_switch_names_the_variable_and_the_choices(raw):
    with pytest.raises(ConfigError, match=rf"SHOEFIT_AUTO_MIGRATE={raw!r}: expected 1 or 0"):
        config.load(environ={"SHOEFIT_AUTO_MIGRATE": raw})


def test_the_default_instance_folder_is_flasks_own_for_the_app(monkeypatch):
    # The command line works the folder out without Flask; it must be the one Flask would pick for the app.
    monkeypatch.delenv("SHOEFIT_INSTANCE_PATH")  # the suite's own, outside the checkout
    assert config.default_instance_path() == flask.Flask("shoefit").instance_path
    assert create_app({"TESTING": True}).instance_path == config.default_instance_path()
