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
