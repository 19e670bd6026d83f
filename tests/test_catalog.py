"""The catalog: the bundled file's coverage, and the validator on broken files."""

import subprocess
import sys
import zipfile
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from shoefit import create_app
from shoefit.core.catalog import Catalog, min_max_scaled, ordinal_codes
from shoefit.core.catalog_csv import REQUIRED_COLUMNS, CatalogError, parse_rows

from helpers import ROOT, catalog_csv, shoe_row


def test_bundled_catalog_covers_the_market(catalog):
    shoes = catalog.shoes
    assert len(shoes) >= 80
    assert len({s["brand"] for s in shoes}) >= 10
    assert {s["category"] for s in shoes} == {"neutral", "stability", "motion_control"}
    assert {"road", "trail"} <= {s["terrain"] for s in shoes}
    widths = Counter(w for s in shoes for w in s["widths"])
    assert all(widths[w] >= 3 for w in ("narrow", "standard", "wide", "extra_wide"))
    prices = sorted(s["price"] for s in shoes)
    assert prices[-1] >= 2 * prices[0]


def test_bundled_catalog_measurements_agree(catalog):
    for shoe in catalog.shoes:
        assert abs(shoe["heel_stack_mm"] - shoe["forefoot_stack_mm"] - shoe["drop_mm"]) <= 1, shoe["id"]


def test_version_is_a_content_hash():
    text = catalog_csv([shoe_row()])
    a = Catalog.from_bytes(text.encode(), "a.csv")
    b = Catalog.from_bytes(text.encode(), "b.csv")
    c = Catalog.from_bytes(text.replace("140", "150").encode(), "a.csv")
    assert a.version == b.version != c.version


def problems_of(text):
    with pytest.raises(CatalogError) as caught:
        parse_rows(text, "store.csv")
    return caught.value.problems


@pytest.mark.parametrize(
    "overrides, column, value",
    [
        ({"cushioning": "6"}, "cushioning", "6"),
        ({"toe_box": "0.5"}, "toe_box", "0.5"),
        ({"stability": "firm"}, "stability", "firm"),
        ({"arch_support": "nan"}, "arch_support", "nan"),
        ({"widths": "standard|huge"}, "widths", "standard|huge"),
        ({"widths": ""}, "widths", ""),
        ({"terrain": "beach"}, "terrain", "beach"),
        ({"category": "max_support"}, "category", "max_support"),
        ({"weight_g": "9.5oz"}, "weight_g", "9.5oz"),
        ({"weight_g": "9.5"}, "weight_g", "9.5"),
        ({"price": "-1"}, "price", "-1"),
        ({"brand": ""}, "brand", ""),
        ({"id": "has space"}, "id", "has space"),
    ],
)
def test_bad_value_is_reported_by_line_column_and_value(overrides, column, value):
    text = catalog_csv([shoe_row(id="ok-1"), shoe_row(**{"id": "bad-1", **overrides})])
    (problem,) = problems_of(text)
    assert (problem.file, problem.line, problem.column, problem.value) == ("store.csv", 3, column, value)
    assert f"store.csv:3: column {column!r}" in str(problem)


def test_duplicate_id_names_both_lines():
    text = catalog_csv([shoe_row(id="a"), shoe_row(id="b"), shoe_row(id="a")])
    (problem,) = problems_of(text)
    assert (problem.line, problem.column, problem.value) == (4, "id", "a")
    assert "first on line 2" in problem.message


def test_missing_and_duplicated_columns_are_reported_on_the_header():
    columns = [c for c in REQUIRED_COLUMNS if c != "breathability"] + ["price"]
    problems = problems_of(catalog_csv([shoe_row()], columns))
    assert {(p.line, p.column) for p in problems} == {(1, "breathability"), (1, "price")}


def test_every_problem_is_listed_not_just_the_first():
    text = catalog_csv([shoe_row(id="a", cushioning="9"), shoe_row(id="b", widths="xl", price="free")])
    problems = problems_of(text)
    assert [(p.line, p.column) for p in problems] == [(2, "cushioning"), (3, "widths"), (3, "price")]


def test_optional_columns_are_validated_too():
    columns = [*REQUIRED_COLUMNS, "seamless_upper", "year"]
    problems = problems_of(catalog_csv([shoe_row(seamless_upper="maybe", year="20x5")], columns))
    assert [p.column for p in problems] == ["seamless_upper", "year"]


def test_ragged_rows_and_quoted_newlines_keep_true_line_numbers():
    header = ",".join(REQUIRED_COLUMNS)
    good = ",".join(shoe_row().values())
    quoted = good.replace("Model test-shoe", '"Model\ntest-shoe"', 1).replace("test-shoe", "quoted", 1)
    text = f"{header}\n{quoted}\n{good},extra\n"
    (problem,) = problems_of(text)
    assert problem.line == 4
    assert "expected" in problem.message


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty file"),
        (",".join(REQUIRED_COLUMNS).encode() + b"\n", "no shoe rows"),
        (b"id,brand\n\xff\xfe\n", "not UTF-8"),
    ],
)
def test_unusable_files(data, message):
    with pytest.raises(CatalogError) as caught:
        Catalog.from_bytes(data, "store.csv")
    assert message in str(caught.value)


def test_unknown_columns_are_kept_and_ignored():
    columns = [*REQUIRED_COLUMNS, "sku", "colour"]
    (shoe,) = parse_rows(catalog_csv([shoe_row(sku="X1", colour="red")], columns), "store.csv")
    assert shoe["extra"] == {"sku": "X1", "colour": "red"}


def test_bom_and_blank_lines_are_tolerated():
    text = "\ufeff" + catalog_csv([shoe_row(id="a")]) + "\n\n"
    assert [s["id"] for s in Catalog.from_bytes(text.encode(), "x").shoes] == ["a"]


def test_shoefit_catalog_points_the_service_at_another_file(tmp_path, monkeypatch):
    path = tmp_path / "store.csv"
    path.write_text(catalog_csv([shoe_row(id="store-only-shoe")]))
    monkeypatch.setenv("SHOEFIT_CATALOG", str(path))
    client = create_app({"TESTING": True}).test_client()
    body = client.get("/v1/shoes").get_json()
    assert [s["id"] for s in body["items"]] == ["store-only-shoe"]
    assert body["catalog"]["size"] == 1


def test_the_service_refuses_to_start_on_an_invalid_catalog(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text(catalog_csv([shoe_row(id="a"), shoe_row(id="b", cushioning="11")]))
    with pytest.raises(CatalogError):
        create_app({"CATALOG": str(path)})
    run = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env={"SHOEFIT_CATALOG": str(path), "PATH": ""},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert f"{path}:3: column 'cushioning': value '11'" in run.stderr
    assert "Traceback" not in run.stderr


def test_missing_catalog_file_is_a_clear_error(tmp_path):
    with pytest.raises(CatalogError) as caught:
        Catalog.load(tmp_path / "nope.csv")
    assert "nope.csv" in str(caught.value) and "cannot read" in str(caught.value)


def test_an_installed_wheel_carries_every_module_and_data_file(tmp_path):
    """The default catalog, the knowledge tables, the migrations and the kiosk page must work from a normal install."""
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = tmp_path.glob("shoefit-*.whl")
    # Laid out as a virtualenv's site-packages, where Flask puts the instance folder under the prefix.
    prefix = tmp_path / "prefix"
    target = prefix / "lib" / "python3" / "site-packages"
    zipfile.ZipFile(wheel).extractall(target)
    shipped = {p.relative_to(target).as_posix() for p in target.joinpath("shoefit").rglob("*") if p.is_file()}
    source = {
        p.relative_to(ROOT).as_posix()
        for pattern in ("*.py", "*.toml", "*.mako", "*.html", "*.css", "*.js", "*.json")
        for p in ROOT.joinpath("shoefit").rglob(pattern)
    }
    assert source <= shipped, sorted(source - shipped)
    assert "shoefit/bundled/catalog.csv" in shipped
    probe = (
        "import flask, shoefit.config, shoefit.core.catalog as c; cat = c.Catalog.load(); "
        "print(c.__file__); print(c.bundled_catalog_path()); print(len(cat)); "
        "print(shoefit.config.default_instance_path()); print(flask.Flask('shoefit').instance_path)"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(target)}, capture_output=True, text=True
    )
    module, path, size, instance, flasks = run.stdout.split()
    assert module.startswith(str(target)) and path.startswith(str(target))
    assert int(size) == len(Catalog.load())
    assert instance == flasks == str(prefix / "var" / "shoefit-instance")


def test_a_hopeless_file_stops_after_a_bounded_number_of_problems():
    rows = [shoe_row(id=f"s{i}", cushioning="9") for i in range(500)]
    problems = problems_of(catalog_csv(rows))
    assert len(problems) == 201
    assert "stopped after 200 problems" in problems[-1].message


RATINGS = st.sampled_from([1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0])


@given(arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 6)), elements=RATINGS))
def test_the_level_codes_are_scikit_learns_ordinal_encoding(matrix):
    from sklearn.preprocessing import OrdinalEncoder

    encoder = OrdinalEncoder(dtype=np.intp).fit(matrix)
    levels, codes = ordinal_codes(matrix)
    assert all(np.array_equal(mine, theirs) for mine, theirs in zip(levels, encoder.categories_, strict=True))
    assert np.array_equal(np.column_stack(codes), encoder.transform(matrix))


@given(arrays(np.float64, st.tuples(st.integers(1, 40), st.just(2)), elements=st.floats(50, 2000, width=32)))
def test_the_tie_break_scaling_is_scikit_learns_min_max_scaling_bit_for_bit(values):
    from sklearn.preprocessing import MinMaxScaler

    assert np.array_equal(min_max_scaled(values), MinMaxScaler().fit_transform(values))
