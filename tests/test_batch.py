"""The batch engine: identical to the single-request scorer, runner for runner."""

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoefit.batch import engine as batch
from shoefit.batch.engine import BatchEngine
from shoefit.batch.runners import unique_rows
from shoefit.core.catalog import Catalog
from shoefit.core.recommender import Recommender
from shoefit.core.validation import InvalidProfile, check_against
from shoefit.batch.block_scoring import top_k_block
from shoefit.core.scoring import top_k

from helpers import catalog_csv, profile, runner_bodies, shoe_row

RATINGS = ["1", "2.5", "3", "3.5", "4.2", "5"]


@st.composite
def catalogs(draw):
    """Small catalogs with deliberate twins, so exact ties are common."""
    n = draw(st.integers(1, 25))
    rows = []
    for i in range(n):
        if rows and draw(st.booleans()):
            twin = dict(draw(st.sampled_from(rows)))
            twin["id"] = f"shoe-{i:03d}"
            rows.append(twin)
            continue
        rows.append(
            shoe_row(
                id=f"shoe-{i:03d}",
                brand=draw(st.sampled_from(["Alpha", "Beta", "Gamma"])),
                model=draw(st.sampled_from(["Runner 1", "Runner 2", "Glide 3", "Glide 4", "Pace"])),
                year=draw(st.sampled_from(["2024", "2025", ""])),
                category=draw(st.sampled_from(["neutral", "stability", "motion_control"])),
                use=draw(st.sampled_from(["daily", "daily|tempo", "tempo", "race", ""])),
                drop_mm=draw(st.sampled_from(["0", "6", "10"])),
                seamless_upper=draw(st.sampled_from(["true", "false"])),
                terrain=draw(st.sampled_from(["road", "trail"])),
                widths=draw(st.sampled_from(["standard", "standard|wide", "narrow|standard|extra_wide"])),
                price=draw(st.sampled_from(["100", "140", "180"])),
                weight_g=draw(st.sampled_from(["220", "260"])),
                **{
                    a: draw(st.sampled_from(RATINGS))
                    for a in (
                        "cushioning",
                        "forefoot_cushioning",
                        "arch_support",
                        "stability",
                        "heel_counter",
                        "toe_box",
                    )
                },
            )
        )
    rows.reverse()  # file order must not matter
    return Catalog.from_bytes(catalog_csv(rows).encode(), "generated.csv")


def _runner(body, brands):
    body = {**body, **brands}
    body.pop("limit", None)  # the test asks for `top`
    return body


CURRENT_SHOES = st.fixed_dictionaries(
    {"id": st.sampled_from([f"shoe-{i:03d}" for i in range(6)]), "liked": st.booleans()}
)


profiles = st.builds(
    _runner,
    runner_bodies(max_price=st.sampled_from([90, 150, 500])),
    st.fixed_dictionaries(
        {},
        optional={
            "brands": st.sampled_from([["Alpha"], ["beta", "Gamma"]]),
            "exclude_brands": st.sampled_from([["Alpha"]]),
            "current_shoe": CURRENT_SHOES,
        },
    ),
)


@settings(max_examples=60, deadline=None)
@given(
    catalog=catalogs(),
    raws=st.lists(profiles, min_size=1, max_size=30),
    top=st.integers(1, 12),
    block=st.sampled_from([3, 16384]),
    step_cells=st.sampled_from([1, 40, 4_000_000]),
    sort_share=st.sampled_from([0, batch.SORT_SHARE]),
)
def test_batch_equals_the_single_request_scorer(knowledge, catalog, raws, top, block, step_cells, sort_share):
    # Small blocks and steps split runners who share a requirement or filters. These catalogs are small enough
    # for whole rows to be walked; a SORT_SHARE of 0 takes the top-k first, as for a large catalog.
    with (
        mock.patch.object(batch, "BLOCK_RUNNERS", block),
        mock.patch.object(batch, "STEP_CELLS", step_cells),
        mock.patch.object(batch, "SORT_SHARE", sort_share),
    ):
        check_batch_equals_single(knowledge, catalog, raws, top)


def check_batch_equals_single(knowledge, catalog, raws, top):
    engine = BatchEngine(catalog, knowledge, top=top)
    single = Recommender(catalog, knowledge)
    wanted = []
    for raw in raws:
        p = profile(**raw, limit=top)
        try:
            single.recommend(p)
        except InvalidProfile:
            with pytest.raises(InvalidProfile):
                check_against(engine.catalog, p)
            continue
        check_against(engine.catalog, p)
        wanted.append(p)
    for p, picks in zip(wanted, engine.score(wanted), strict=True):
        body = single.recommend(p)
        assert picks.ids == tuple(r["id"] for r in body["recommendations"])
        assert np.allclose(picks.scores, [r["score"] for r in body["recommendations"]], atol=1e-3)
        assert picks.candidates == body["catalog"]["candidates"]
        assert picks.warnings == tuple(w["code"] for w in body["warnings"])
        assert picks.triage == body["triage"]["state"]


def test_batch_scores_are_bit_identical_to_single_scores(catalog, knowledge):
    from shoefit.core.scoring import Filters, candidate_scores, rank
    from shoefit.core.shortlist import shortlist

    engine = BatchEngine(catalog, knowledge, top=len(catalog))
    plain = [profile(arch_type="high"), profile(pronation="overpronation", fit_issues=["too_tight"]), profile()]
    for p, picks in zip(plain, engine.score([profile(**raw, shortlist=False) for raw in ({"arch_type": "high"},
            {"pronation": "overpronation", "fit_issues": ["too_tight"]}, {})]), strict=True):  # fmt: skip
        a = knowledge.assess(p)
        rows, scores, _ = rank(catalog, a.lows, a.highs, a.weights, Filters(), len(catalog))
        assert picks.ids == tuple(catalog.ids[rows])
        assert picks.scores == tuple(scores.tolist())  # exact, not approximately
    listed = [profile(use="race"), profile(body_weight_kg=100, current_shoe={"id": "nike-pegasus-41", "liked": True})]
    for p, picks in zip(listed, engine.score(listed, [5, 5]), strict=True):
        a = knowledge.assess(p)
        rows, scores = candidate_scores(catalog, a.lows, a.highs, a.weights, None)
        if p.current_shoe:
            from shoefit.core.current_shoe import current_shoe

            shoe = current_shoe(catalog, *p.current_shoe)
            scores = scores + shoe.points
            family = int(catalog.family[shoe.row])
        else:
            family = None
        entries = shortlist(catalog, rows, scores, 5, pinned=family, assessment=a)
        assert picks.ids == tuple(catalog.ids[[row for row, _, _ in entries]])
        assert picks.scores == tuple(min(100.0, s) for _, s, _ in entries)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 60),
    st.integers(1, 15),
    st.data(),
)
def test_block_top_k_is_row_wise_top_k(n_rows, n, k, data):
    values = st.sampled_from([-np.inf, 1.0, 2.0, 2.0, 3.5, 7.0])
    scores = np.array(data.draw(st.lists(st.lists(values, min_size=n, max_size=n), min_size=n_rows, max_size=n_rows)))
    tiebreak = np.array(data.draw(st.permutations(range(n))))
    best = top_k_block(scores, tiebreak, k)
    for row in range(n_rows):
        expected = [i for i in top_k(scores[row], tiebreak, k) if scores[row, i] > -np.inf]
        assert [i for i in best[row] if i >= 0] == expected


def test_streaming_keeps_order_and_keys(catalog, knowledge):
    engine = BatchEngine(catalog, knowledge, top=3)
    records = [(f"runner-{i}", profile(arch_type=a)) for i, a in enumerate(["flat", "high", "neutral"] * 5)]
    streamed = list(engine.score_stream(iter(records), chunk=4))
    assert [key for key, _ in streamed] == [key for key, _ in records]
    assert [picks for _, picks in streamed] == engine.score([p for _, p in records])


@settings(max_examples=100, deadline=None)
@given(catalog=catalogs(), data=st.data())
def test_block_representatives_are_each_rows_newest_candidate_of_its_line(catalog, data):
    from shoefit.core.shortlist import representatives

    keep = np.array(
        data.draw(
            st.lists(st.lists(st.booleans(), min_size=len(catalog), max_size=len(catalog)), min_size=1, max_size=4)
        )
    )
    block = representatives(catalog, keep)
    for row, mask in enumerate(keep):
        assert block[row].tolist() == representatives(catalog, mask).tolist()
        newest = {line: next(r for r in rows if mask[r]) for line, rows in catalog.lines.items() if mask[rows].any()}
        assert set(np.flatnonzero(block[row]).tolist()) == set(newest.values())


def greedy(catalog, ordered, score_of, k):
    """The one-runner greedy over catalog rows `ordered`, their scores read from `score_of` (by row)."""
    from shoefit.core.shortlist import _greedy

    return _greedy(list(ordered), score_of[ordered].tolist(), catalog.brand[ordered].tolist(), k)


@settings(max_examples=200, deadline=None)
@given(catalog=catalogs(), data=st.data())
def test_the_block_greedy_picks_as_the_one_runner_greedy(catalog, data):
    from shoefit.batch.block_shortlist import greedy_block

    n_rows = data.draw(st.integers(1, 4))
    depth = data.draw(st.integers(1, len(catalog)))
    best, scores, ks = [], [], []
    for _ in range(n_rows):
        rows = data.draw(st.permutations(range(len(catalog))))[: data.draw(st.integers(0, depth))]
        values = sorted(
            data.draw(
                st.lists(st.sampled_from([90.0, 89.5, 89.2, 88.0, 80.0]), min_size=len(rows), max_size=len(rows))
            ),
            reverse=True,
        )
        best.append(rows + [-1] * (depth - len(rows)))
        scores.append(values + [0.0] * (depth - len(rows)))
        ks.append(data.draw(st.integers(1, 6)))
    picks, settled = greedy_block(catalog, np.array(best, dtype=np.intp), np.array(scores), np.array(ks))
    for row in range(n_rows):
        ordered = [r for r in best[row] if r >= 0]
        score_of = np.full(len(catalog), np.nan)
        score_of[ordered] = scores[row][: len(ordered)]
        expected, known = greedy(catalog, ordered, score_of, ks[row])
        assert [r for r in picks[row].tolist() if r >= 0] == expected
        assert settled[row] == (known or len(ordered) < depth)


@settings(max_examples=200, deadline=None)
@given(catalog=catalogs(), data=st.data())
def test_the_whole_row_greedy_picks_as_the_one_runner_shortlist_and_top_k(catalog, data):
    from shoefit.batch.block_shortlist import greedy_rows
    from shoefit.core.shortlist import representatives

    n_rows, n = data.draw(st.integers(1, 4)), len(catalog)
    order = np.argsort(catalog.id_rank, kind="stable")
    values = st.sampled_from([90.0, 89.5, 89.2, 88.0, 80.0])
    scores = np.array([data.draw(st.lists(values, min_size=n, max_size=n)) for _ in range(n_rows)])
    keep = np.array([data.draw(st.lists(st.booleans(), min_size=n, max_size=n)) for _ in range(n_rows)])
    listed = np.array(data.draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows)))
    ks = np.array(data.draw(st.lists(st.integers(0, 6), min_size=n_rows, max_size=n_rows)))
    walked = np.where(keep & (~listed[:, None] | representatives(catalog, keep)), scores, -np.inf)
    picks = greedy_rows(walked[:, order], catalog.brand[order], len(catalog.brands), ks, listed)
    for row in range(n_rows):
        found = [order[p] for p in picks[row].tolist() if p >= 0]
        candidates = np.flatnonzero(walked[row] > -np.inf)
        ranked = candidates[top_k(scores[row, candidates], catalog.id_rank[candidates], len(candidates))].tolist()
        if listed[row]:
            expected, _ = greedy(catalog, ranked, scores[row], int(ks[row]))  # every representative is in ranked
        else:
            expected = ranked[: ks[row]]
        assert found == expected


@settings(max_examples=300, deadline=None)
@given(catalog=catalogs(), data=st.data())
def test_a_settled_greedy_is_what_every_representative_would_give(catalog, data):

    ordered = data.draw(st.permutations(range(len(catalog))))
    values = sorted(
        data.draw(st.lists(st.sampled_from([90.0, 89.5, 89.2, 88.0, 80.0]), min_size=len(ordered), max_size=len(ordered))),
        reverse=True,
    )
    score_of = np.array([np.nan] * len(catalog))
    score_of[ordered] = values
    k = data.draw(st.integers(1, 6))
    whole, _ = greedy(catalog, ordered, score_of, k)
    for depth in range(1, len(ordered) + 1):
        picks, settled = greedy(catalog, ordered[:depth], score_of, k)
        if settled:
            assert picks == whole, depth


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(
        [(np.uint8, 0, 255), (np.uint8, 0, 1), (np.int16, -1, 1), (np.intp, 0, 2), (np.intp, 0, 3000), (np.intp, -(2**40), 2**40)]
    ),
    shape=st.tuples(st.integers(0, 60), st.integers(1, 12)),
    seed=st.integers(0, 2**32 - 1),
)
def test_unique_rows_finds_each_distinct_row_and_its_first_place(kind, shape, seed):
    # Rows are folded into int64 keys where they fit (few codes, packed bits), viewed as bytes where not.
    dtype, low, high = kind
    rng = np.random.default_rng(seed)
    matrix = rng.integers(low, high, size=shape, endpoint=True).astype(dtype)
    if len(matrix) > 2:
        matrix[rng.integers(0, len(matrix), len(matrix) // 2)] = matrix[0]  # repeats
    first, inverse = unique_rows(matrix)
    assert (matrix[first][inverse] == matrix).all()
    assert len(first) == len(np.unique(matrix, axis=0))
    assert all(np.flatnonzero(inverse == inverse[f])[0] == f for f in first)
