import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from shoefit import config
from shoefit.core.catalog import bundled_catalog_path
from shoefit.cli import main
from shoefit.store.engine import sqlalchemy_url
from shoefit.store.fittings import Store
from shoefit.store.tables import FittingRow

from helpers import catalog_csv, shoe_row


def test_validate_catalog_accepts_the_bundled_catalog(capsys):
    assert main(["validate-catalog", str(bundled_catalog_path())]) == 0
    assert "valid, 89 shoes" in capsys.readouterr().out


def test_validate_catalog_lists_every_problem_and_fails(tmp_path, capsys):
    path = tmp_path / "store.csv"
    path.write_text(catalog_csv([shoe_row(id="a", toe_box="7"), shoe_row(id="a", widths="huge")]))
    assert main(["validate-catalog", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2: column 'toe_box': value '7'" in err
    assert f"{path}:3: column 'widths': value 'huge'" in err
    assert "2 problem(s)" in err


def test_the_console_script_prints_the_openapi_document():
    run = subprocess.run([sys.executable, "-m", "shoefit.cli", "openapi"], capture_output=True, text=True, check=True)
    assert "/v1/recommendations" in json.loads(run.stdout)["paths"]


# ------------------------------------------------------------------ database commands


def test_version_is_the_installed_distributions(capsys):
    import importlib.metadata

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"shoefit {importlib.metadata.version('shoefit')}"


def test_the_commands_that_read_no_scores_load_no_scikit_learn():
    # Start-up time: scikit-learn alone takes over a second to import (issue 13's CLI target).
    probe = "import sys; from shoefit.cli import main; main(['validate-catalog', sys.argv[1]])"
    probe += "\nassert 'sklearn' not in sys.modules and 'flask' not in sys.modules, sorted(sys.modules)"
    run = subprocess.run([sys.executable, "-c", probe, str(bundled_catalog_path())], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]


@pytest.fixture()
def fittings_database(store_url, monkeypatch):
    monkeypatch.setenv("SHOEFIT_DATABASE_URL", store_url)
    store = Store(store_url)
    yield store
    store.close()


def test_db_upgrade_creates_the_default_database_in_the_instance_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SHOEFIT_DATABASE_URL", raising=False)
    monkeypatch.delenv("SHOEFIT_INSTANCE_PATH", raising=False)
    monkeypatch.setattr(config, "default_instance_path", lambda: str(tmp_path / "instance"))
    assert main(["db", "upgrade"]) == 0
    assert "at revision 0001" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    store = Store.for_instance(None, tmp_path / "instance")
    assert store.current_revision() == "0001"
    store.close()


def test_db_upgrade_uses_the_configured_instance_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SHOEFIT_DATABASE_URL", raising=False)
    monkeypatch.setenv("SHOEFIT_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    assert main(["db", "upgrade"]) == 0
    store = Store.for_instance(None, tmp_path / "elsewhere")
    assert store.current_revision() == "0001"
    store.close()


def test_purge_deletes_the_fittings_not_active_for_that_long(fittings_database, capsys):
    stale, fresh = fittings_database.create_fitting({}), fittings_database.create_fitting({})
    fittings_database.add_tryon(stale.id, "hoka-bondi-9", 3, [], "kept")
    engine = sa.create_engine(sqlalchemy_url(os.environ["SHOEFIT_DATABASE_URL"]), poolclass=sa.NullPool)
    with engine.begin() as connection:
        old = datetime.now(UTC) - timedelta(days=91)
        connection.execute(sa.update(FittingRow).where(FittingRow.id == stale.id).values(active_at=old))
    engine.dispose()
    assert main(["fittings", "purge", "--older-than", "90d"]) == 0
    assert "deleted 1 fitting(s) last active before" in capsys.readouterr().out
    assert fittings_database.get_fitting(fresh.id) == fresh
    assert main(["fittings", "purge", "--older-than", "13w"]) == 0
    assert "deleted 0 fitting(s)" in capsys.readouterr().out


@pytest.mark.parametrize("age", ["90", "d", "90x", "1.5d", "-1d", "0h", "6000w"])
def test_purge_refuses_a_bad_duration(age, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["fittings", "purge", f"--older-than={age}"])
    assert exit.value.code == 2
    assert f"argument --older-than: {age!r}" in capsys.readouterr().err


@pytest.mark.parametrize("age", ["12h", "90d", "2w", "5200w"])
def test_purge_takes_hours_days_and_weeks(age):
    from shoefit.cli.db_commands import duration

    assert duration(age) > timedelta(0)


def test_database_commands_exit_2_when_the_database_cannot_be_reached(monkeypatch, capsys):
    monkeypatch.setenv("SHOEFIT_DATABASE_URL", "postgresql://shoefit:secret@127.0.0.1:1/shoefit")
    for command in (["db", "upgrade"], ["fittings", "purge", "--older-than", "90d"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "shoefit: cannot use the database postgresql://shoefit:***@127.0.0.1:1/shoefit" in err
        assert "secret" not in err


def test_purge_before_upgrade_says_what_to_do(database_url, monkeypatch, capsys):
    monkeypatch.setenv("SHOEFIT_DATABASE_URL", database_url)
    assert main(["fittings", "purge", "--older-than", "90d"]) == 2
    assert "run `shoefit db upgrade` first" in capsys.readouterr().err
