"""SHOEFIT_WEIGHTS in the service: answers name the overlay, a bad one stops start-up, the admin reload re-reads it."""

import pytest
from test_admin import KEY, bearer
from test_weights_overlay import overlay_text

from shoefit import create_app
from shoefit.core.weights_overlay import WeightsError
from shoefit.web.context import catalog_holder

RUNNER = {"fit_issues": ["cramped_toes"], "limit": 3}


def weights_file(path, version="2026-12-01-first", **multipliers):
    path.write_text(overlay_text(**multipliers).replace("2026-12-01-test", version), encoding="utf-8")
    return path


@pytest.fixture()
def weights(tmp_path):
    return weights_file(tmp_path / "weights.toml", toe_box=1.8)


def make_app(instance, **config):
    return create_app({"INSTANCE_PATH": str(instance), "RATE_LIMIT": "off", "ADMIN_KEYS": (KEY,), **config})


def recommend(client):
    response = client.post("/v1/recommendations", json=RUNNER)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_answers_name_the_overlay_they_were_ranked_with(tmp_path, weights):
    tuned = make_app(tmp_path / "a", WEIGHTS=str(weights)).test_client()
    plain = make_app(tmp_path / "b").test_client()
    answer, before = recommend(tuned), recommend(plain)
    assert answer["calibration"] == {"version": "2026-12-01-first", "fittings": 2000} and "calibration" not in before
    assert answer["requirements"]["toe_box"]["tuned"] == 1.8
    assert answer["warnings"] == before["warnings"] and answer["advice"] == before["advice"]
    batch = tuned.post("/v1/batch/recommendations", json={"profiles": [RUNNER]}).get_json()
    assert batch["calibration"] == answer["calibration"]
    assert "calibration" not in plain.post("/v1/batch/recommendations", json={"profiles": [RUNNER]}).get_json()
    requirements = tuned.post("/v1/requirements", json=RUNNER).get_json()
    assert requirements["calibration"] == answer["calibration"]


def test_a_bad_overlay_stops_start_up_naming_the_problem(tmp_path):
    bad = weights_file(tmp_path / "weights.toml", toe_box=3.0)
    with pytest.raises(WeightsError, match="multiplier 3 outside 0.5-2"):
        make_app(tmp_path / "instance", WEIGHTS=str(bad))
    with pytest.raises(WeightsError, match="cannot read"):
        make_app(tmp_path / "instance", WEIGHTS=str(tmp_path / "missing.toml"))


def test_the_reload_reads_the_overlay_again_in_every_worker(tmp_path, weights):
    folder = tmp_path / "instance"
    first, second = (make_app(folder, WEIGHTS=str(weights)) for _ in range(2))  # two workers, one folder
    catalog_holder(second).interval = 0
    weights_file(weights, version="2026-12-01-second", toe_box=1.2, cushioning=0.8)
    # Edited but not reloaded: nobody serves it yet.
    assert recommend(second.test_client())["calibration"]["version"] == "2026-12-01-first"
    swapped = first.test_client().post("/v1/admin/catalog/reload", headers=bearer(KEY))
    assert swapped.status_code == 200
    assert swapped.get_json()["calibration"] == {"version": "2026-12-01-second", "fittings": 2000}
    for app in (first, second):
        answer = recommend(app.test_client())
        assert answer["calibration"]["version"] == "2026-12-01-second"
        assert answer["requirements"]["toe_box"]["tuned"] == 1.2


def test_a_bad_overlay_at_reload_is_refused_and_the_one_in_force_serves_on(tmp_path, weights):
    app = make_app(tmp_path / "instance", WEIGHTS=str(weights))
    weights.write_text("[calibration\n", encoding="utf-8")
    refused = app.test_client().post("/v1/admin/catalog/reload", headers=bearer(KEY))
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert problem["title"] == "Invalid weights overlay" and "weights.toml" in problem["detail"]
    assert recommend(app.test_client())["calibration"]["version"] == "2026-12-01-first"


def test_taking_the_overlay_away_and_reloading_serves_the_rules_weights(tmp_path, weights):
    folder = tmp_path / "instance"
    make_app(folder, WEIGHTS=str(weights))
    # A restart without SHOEFIT_WEIGHTS: the rules' weights, and the folder says so to every worker.
    plain = make_app(folder)
    assert "calibration" not in recommend(plain.test_client())
    assert not (folder / "weights.current").exists()
