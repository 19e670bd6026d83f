import json
import subprocess
import sys

from shoefit.catalog import bundled_catalog_path
from shoefit.cli import main

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
