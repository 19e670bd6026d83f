"""Shoes like one shoe: the scaled attribute space, its neighbours, and GET /v1/shoes/{id}/similar."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoefit.core.catalog import Catalog
from shoefit.web.catalog_schemas import SimilarShoesSchema
from shoefit.core.similar import FEATURES, AttributeSpace, min_max_scaled, similarity, space

from helpers import catalog_csv, shoe_row
from test_api import assert_problem
from test_scoring import catalogs


def test_neighbours_are_nearest_first_without_the_shoe(catalog):
    found = space(catalog)
    for row in range(0, len(catalog), 7):
        near = found.neighbours(row, 10)
        assert len(near) == 10 and row not in [other for other, _, _ in near]
        distances = [distance for _, distance, _ in near]
        # Equal distances (to rounding) are ties, in id order.
        assert all(b >= a - 1e-9 for a, b in itertools.pairwise(distances))
        for other, distance, alike in near:
            assert distance == pytest.approx(np.linalg.norm(found.scaled[row] - found.scaled[other]))
            assert alike == pytest.approx(float(similarity(distance))) and 0 < alike <= 1
        farther = np.linalg.norm(found.scaled - found.scaled[row], axis=1)
        farther[[row] + [other for other, _, _ in near]] = np.inf
        assert distances[-1] <= farther.min() + 1e-12


def test_a_twin_comes_first_with_similarity_1():
    rows = [
        shoe_row(id="m-shoe", brand="Alpha", price="150"),
        shoe_row(id="b-twin", brand="Beta", price="99"),  # the same attributes, another brand and price
        shoe_row(id="z-twin", brand="Gamma", price="120"),
        shoe_row(id="near", cushioning="3.5"),
        shoe_row(id="far", cushioning="5", stability="1", toe_box="5", weight_g="330", drop_mm="0"),
    ]
    catalog = Catalog.from_bytes(catalog_csv(rows).encode(), "twins.csv")
    found = AttributeSpace(catalog)
    for shoe, twins in (("m-shoe", ["b-twin", "z-twin"]), ("b-twin", ["m-shoe", "z-twin"])):
        near = found.neighbours(catalog.index[shoe], 4)
        ids = [catalog.shoes[other]["id"] for other, _, _ in near]
        assert ids == [*twins, "near", "far"]
        assert [(d, s) for _, d, s in near[:2]] == [(0.0, 1.0), (0.0, 1.0)]
    assert found.neighbours(catalog.index["far"], 1)[0][2] < 0.5
    assert np.all(found.kernel(np.arange(len(catalog)))[np.arange(len(catalog)), np.arange(len(catalog))] == 1.0)


@settings(max_examples=150, deadline=None)
@given(catalogs(min_size=1, max_size=25), st.data())
def test_neighbours_are_the_head_of_a_full_sort_by_distance_then_id(catalog, data):
    row = data.draw(st.integers(0, len(catalog) - 1))
    k = data.draw(st.integers(1, 30))
    found = AttributeSpace(catalog)
    gaps = np.linalg.norm(found.scaled - found.scaled[row], axis=1)
    full = sorted((r for r in range(len(catalog)) if r != row), key=lambda r: (round(gaps[r], 9), catalog.ids[r]))
    assert [other for other, _, _ in found.neighbours(row, k)] == full[:k]


def test_the_space_is_built_once_per_catalog(catalog):
    assert space(catalog) is space(catalog)
    assert space(catalog).scaled.shape == (len(catalog), len(FEATURES))
    assert np.all((space(catalog).scaled >= 0) & (space(catalog).scaled <= 1))


# --- the endpoint ------------------------------------------------------------------------


def test_similar_shoes_endpoint(client, catalog):
    shoe = catalog.shoes[0]["id"]
    response = client.get(f"/v1/shoes/{shoe}/similar")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert SimilarShoesSchema().validate(body) == {}
    assert body["shoe_id"] == shoe and len(body["items"]) == 5
    assert shoe not in [item["id"] for item in body["items"]]
    distances = [item["distance"] for item in body["items"]]
    assert distances == sorted(distances)
    assert all(0 <= item["similarity"] <= 1 for item in body["items"])
    first = body["items"][0]
    assert {k: v for k, v in first.items() if k not in ("similarity", "distance")} == client.get(
        f"/v1/shoes/{first['id']}"
    ).get_json()
    many = client.get(f"/v1/shoes/{shoe}/similar?limit=20").get_json()["items"]
    assert len(many) == 20 and many[:5] == body["items"]


def test_similar_shoes_errors(client, catalog):
    shoe = catalog.shoes[0]["id"]
    body = assert_problem(client.get("/v1/shoes/no-such-shoe/similar"), 404)
    assert "no-such-shoe" in body["detail"]
    assert_problem(client.get(f"/v1/shoes/{shoe}/similar?limit=0"), 422, "limit", "0")
    assert_problem(client.get(f"/v1/shoes/{shoe}/similar?limit=21"), 422, "limit", "21")
    assert_problem(client.get(f"/v1/shoes/{shoe}/similar?limit=2.5"), 422, "limit", "2.5")
    assert_problem(client.get(f"/v1/shoes/{shoe}/similar?colour=red"), 422, "colour", "red")


def test_similar_shoes_is_in_the_openapi_document(client):
    operation = client.get("/openapi.json").get_json()["paths"]["/v1/shoes/{shoe_id}/similar"]["get"]
    assert {"200", "404", "422"} <= set(operation["responses"])


@settings(max_examples=200, deadline=None)
@given(
    raw=st.integers(1, 30).flatmap(
        lambda n: st.lists(
            st.lists(st.floats(-1e4, 1e4, allow_nan=False) | st.sampled_from([0.0, 1.5, 3.0]), min_size=4, max_size=4),
            min_size=n,
            max_size=n,
        )
    )
)
def test_the_space_scales_exactly_as_scikit_learn_does(raw):
    # Scaled without importing scikit-learn (a batch worker's start), to the very same floats: answers stay as they were.
    from sklearn.preprocessing import MinMaxScaler

    raw = np.array(raw, dtype=np.float64)
    assert np.array_equal(min_max_scaled(raw), MinMaxScaler().fit_transform(raw))


def test_the_bundled_catalog_scales_exactly_as_scikit_learn_does(catalog):
    from sklearn.preprocessing import MinMaxScaler

    raw = np.array([[shoe[f] for f in FEATURES] for shoe in catalog.shoes], dtype=np.float64)
    assert np.array_equal(space(catalog).scaled, MinMaxScaler().fit_transform(raw))
