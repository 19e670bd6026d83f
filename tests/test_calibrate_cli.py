"""`shoefit simulate-fittings` and `shoefit calibrate` against a real fittings store (SQLite, and PostgreSQL when set)."""

import pytest

from shoefit.cli import main
from shoefit.core.weights_overlay import WeightsOverlay
from shoefit.store.fittings import Store


@pytest.fixture()
def store_env(store_url, monkeypatch, tmp_path):
    monkeypatch.setenv("SHOEFIT_DATABASE_URL", store_url)
    monkeypatch.chdir(tmp_path)
    return store_url


def test_a_simulated_store_calibrates_into_an_overlay_the_service_can_read(store_env, tmp_path, capsys):
    plant = "cushioning=2,stability=0.5"
    assert main(["simulate-fittings", "--fittings", "400", "--plant", plant, "--seed", "2"]) == 0
    assert "400 synthetic fittings" in capsys.readouterr().out
    assert main(["calibrate", "-o", "weights.toml", "--folds", "3"]) == 0
    report = capsys.readouterr().out
    assert "2,000 try-ons read; 2,000 used, of 400 fittings" in report
    assert "held out (cross-validated by fitting)" in report and "mean rank of the kept shoe" in report
    overlay = WeightsOverlay.load(tmp_path / "weights.toml")
    assert overlay.fittings == 400 and overlay.tryons == 2000 and overlay.version in report
    assert overlay.attributes["cushioning"].multiplier > 1 and overlay.attributes["stability"].multiplier < 1


def test_too_few_tryons_write_nothing_and_say_how_many_more(store_env, tmp_path, capsys):
    assert main(["simulate-fittings", "--fittings", "30"]) == 0
    capsys.readouterr()
    (tmp_path / "weights.toml").write_text("kept as it was\n")
    assert main(["calibrate", "-o", "weights.toml"]) == 1
    out, err = capsys.readouterr()
    assert "too few try-ons for an overlay: 50 more are needed (200 at least)" in out
    assert "no overlay written" in err
    assert (tmp_path / "weights.toml").read_text() == "kept as it was\n"


def test_a_synthetic_store_is_made_in_an_empty_database_only(store_env, capsys):
    assert main(["simulate-fittings", "--fittings", "5"]) == 0
    assert main(["simulate-fittings", "--fittings", "5"]) == 2
    assert "holds 5 fitting(s)" in capsys.readouterr().err
    store = Store(store_env)
    try:
        records = list(store.outcomes())
    finally:
        store.close()
    assert len(records) == 5 and all(len(tryons) == 5 for _, tryons in records)
    assert len({fitting.id for fitting, _ in records}) == 5


@pytest.mark.parametrize(
    "argv, complaint",
    [
        (["simulate-fittings", "--plant", "cushion=2"], "unknown attribute 'cushion'"),
        (["simulate-fittings", "--plant", "cushioning=lots"], "expected attribute=multiplier"),
        (["simulate-fittings", "--noise", "-1"], "a number from 0 to 5"),
        (["calibrate", "-o", "w.toml", "--folds", "1"], "a whole number of at least 2"),
        (["calibrate"], "the following arguments are required: -o/--output"),
    ],
)
def test_bad_arguments_are_named(argv, complaint, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2 and complaint in capsys.readouterr().err


def test_calibrate_on_a_database_without_tables_says_what_to_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SHOEFIT_DATABASE_URL", f"sqlite:///{tmp_path}/empty.sqlite3")
    assert main(["calibrate", "-o", str(tmp_path / "w.toml")]) == 2
    assert "run `shoefit db upgrade` first" in capsys.readouterr().err


def test_score_and_grid_use_the_overlay_the_service_would(tmp_path, catalog, knowledge, monkeypatch, capsys):
    from test_cli_batch import RUNNERS, expected_rows, read_rows, write_csv
    from test_weights_served import weights_file

    weights = weights_file(tmp_path / "weights.toml", cushioning=1.9, toe_box=0.6, stability=1.7)
    tuned = knowledge.with_overlay(WeightsOverlay.load(weights))
    source = write_csv(tmp_path / "runners.csv", RUNNERS)
    monkeypatch.setenv("SHOEFIT_WEIGHTS", str(weights))
    assert main(["score", source, "-o", str(tmp_path / "tuned.csv")]) == 0
    assert "weights overlay 2026-12-01-first (2,000 fittings)" in capsys.readouterr().err
    assert main(["score", source, "-o", str(tmp_path / "plain.csv"), "--weights", "", "--quiet"]) == 0
    assert read_rows(tmp_path / "tuned.csv") == expected_rows(catalog, tuned, RUNNERS)
    assert read_rows(tmp_path / "plain.csv") == expected_rows(catalog, knowledge, RUNNERS)
    assert read_rows(tmp_path / "tuned.csv") != read_rows(tmp_path / "plain.csv")
    assert main(["grid", "-o", str(tmp_path / "grid.csv")]) == 0
    assert "weights overlay 2026-12-01-first" in capsys.readouterr().err


def test_a_bad_overlay_stops_a_batch_run_before_anything_is_written(tmp_path, capsys):
    from test_cli_batch import RUNNERS, write_csv

    source = write_csv(tmp_path / "runners.csv", RUNNERS)
    bad = tmp_path / "weights.toml"
    bad.write_text('[calibration]\nversion = "v"\nfittings = 1\ntryons = 1\n[weights.cushioning]\nmultiplier = 9\n')
    assert main(["score", source, "-o", str(tmp_path / "out.csv"), "--weights", str(bad)]) == 2
    assert "needs exactly high, low, multiplier, tryons" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()
