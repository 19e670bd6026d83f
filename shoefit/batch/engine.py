"""The block engine: many runners against the catalog, a block at a time.

The same rules, scores and shortlists as a single request (RuleBlock is assess() for a
block, score_block is score() laid out as a matrix product, both bit for bit, and the
shortlist is core's own); what this module adds is doing each piece of work once per
distinct thing, not once per runner. Runners of a block share far fewer requirements
(which rules fired), filter combinations and asks (current shoe, shortlist or not,
how many picks) than there are runners: scores are computed once per distinct
requirement, masks once per filter combination, and the picks once per (requirement,
filters, ask) triple.
"""

import contextlib
import functools
import gc
import itertools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..core.current_shoe import current_shoe
from ..core.shortlist import depth_for, pin, representatives, shortlist
from .block_scoring import SORT_SHARE, score_block, top_k_block
from .block_shortlist import greedy_block, greedy_rows
from .filter_combos import FilterCombos
from .rule_block import RuleBlock
from .runners import ProfileRunners, unique_rows

# A block's distinct requirements are found among this many runners at a time: a whole chunk of
# `shoefit score` (batch.CHUNK_RUNNERS), so that its numpy calls run over as many runners as they can.
BLOCK_RUNNERS = 65536
# Scores of one step are (requirements x shoes) floats: keep a step near 32 MB.
STEP_CELLS = 4_000_000
CACHED_CELLS = 1 << 18
ASSESS_MEMO = 8192
ASK_FIELDS = ("current_shoe", "shortlist")  # with the picks wanted, what a runner asks of the shortlist


class Picks(NamedTuple):  # a tuple: made at C speed, one per distinct runner
    ids: tuple  # shoe ids, best first, at most the runner's limit
    scores: tuple  # 0-100, equal to the single-request scores
    warnings: tuple  # warning codes, most serious first
    triage: str  # the answer's triage state: see_doctor_first, see_doctor, take_care or shoes
    candidates: int  # shoes left after the runner's filters


@dataclass
class BlockPicks:
    """Picks for a block of runners as arrays: per runner a triple and a warning set, per triple its picks."""

    triple: np.ndarray  # per runner, its (requirement, filters, ask) triple
    warning_set: np.ndarray  # per runner, an index into warning_codes and triage_states
    picked: np.ndarray  # triples x top: catalog rows, best first, -1 padded
    scores: np.ndarray  # triples x top: their scores, 0-100
    found: np.ndarray  # per triple, how many picks
    candidates: np.ndarray  # per triple, shoes left after its filters
    warning_codes: list  # tuples of warning codes, most serious first
    triage_states: list

    @classmethod
    def joined(cls, blocks):
        triples = np.cumsum([0] + [len(b.found) for b in blocks[:-1]])
        sets = np.cumsum([0] + [len(b.warning_codes) for b in blocks[:-1]])
        return cls(
            np.concatenate([b.triple + t for b, t in zip(blocks, triples)]),
            np.concatenate([b.warning_set + w for b, w in zip(blocks, sets)]),
            *(np.concatenate([getattr(b, n) for b in blocks]) for n in ("picked", "scores", "found", "candidates")),
            [codes for b in blocks for codes in b.warning_codes],
            [state for b in blocks for state in b.triage_states],
        )


class BatchEngine:
    def __init__(self, catalog, knowledge, top=10):
        self.catalog = catalog
        self.top = top
        self.rules = RuleBlock(knowledge.rules, knowledge.overlay, knowledge.general)
        # The catalog's rows in tiebreak order: where scores are equal, the first of them is the one to pick.
        self.tiebreak_order = np.argsort(catalog.id_rank, kind="stable")
        self.tiebreak_brands = catalog.brand[self.tiebreak_order]
        # The API answers each batch item with its full warnings, which only assess() gives.
        self.assess = functools.lru_cache(maxsize=ASSESS_MEMO)(knowledge.assess)

    def score(self, profiles, limits=None):
        """Picks for each profile, in order; each profile checked against the catalog already.

        limits: picks wanted per profile (default `top` each): a shortlist keeping a liked
        current shoe's line depends on how long it is.
        """
        profiles = list(profiles)
        found = self.score_runners(ProfileRunners(profiles), limits)
        # Runners alike in triple and warnings get the same (immutable) Picks.
        first, alike = unique_rows(np.column_stack([found.triple, found.warning_set]))
        ids = self.catalog.ids[np.maximum(found.picked, 0)].tolist()
        scores, counts, candidates = found.scores.tolist(), found.found.tolist(), found.candidates.tolist()
        distinct = []
        for t, w in zip(found.triple[first].tolist(), found.warning_set[first].tolist()):
            n = counts[t]
            distinct.append(Picks(tuple(ids[t][:n]), tuple(scores[t][:n]), found.warning_codes[w],
                                  found.triage_states[w], candidates[t]))  # fmt: skip
        return [distinct[i] for i in alike.tolist()]

    def score_runners(self, runners, limits=None):
        """BlockPicks for `runners` (runners.py), in order; `limits` as for score()."""
        n = len(runners)
        limits = np.full(n, self.top) if limits is None else np.minimum(np.asarray(limits, dtype=np.intp), self.top)
        blocks = []
        with paused_gc():
            for start in range(0, n, BLOCK_RUNNERS):
                block = slice(start, start + BLOCK_RUNNERS)
                blocks.append(self._score_block(runners.block(block), limits[block]))
        return BlockPicks.joined(blocks) if blocks else self._score_block(runners, limits)

    def score_stream(self, records, chunk=4096):
        """(key, profile) pairs in, (key, Picks) out in the same order, `chunk` at a time."""
        records = iter(records)
        while batch := list(itertools.islice(records, chunk)):
            keys, profiles = zip(*batch)
            yield from zip(keys, self.score(profiles))

    def _score_block(self, runners, limits):
        needs = self.rules.assess_runners(runners)
        filters = FilterCombos(self.catalog, runners)
        shown, shows = runners.fields(ASK_FIELDS)
        first, ask = unique_rows(np.column_stack([shown, limits]))
        asks = Asks.of(self.catalog, [(*shows[shown[i]], int(limits[i])) for i in first.tolist()])
        first, triple = unique_rows(np.column_stack([needs.requirements, filters.combo, ask]))
        found = self._triples(needs, needs.requirements[first], filters, filters.combo[first], asks, ask[first])
        return BlockPicks(triple, needs.warning_sets, *found, needs.warning_codes, needs.triage_states)

    def _triples(self, needs, requirement, filters, combo, asks, ask):
        """(picked, scores, found, candidates) per distinct (requirement, filters, ask), a bounded step at a time."""
        shared = (
            np.full((len(requirement), self.top), -1, dtype=np.intp),
            np.zeros((len(requirement), self.top)),
            np.zeros(len(requirement), dtype=np.intp),
            np.zeros(len(requirement), dtype=np.intp),
        )
        step = max(1, STEP_CELLS // len(self.catalog))
        order = np.argsort(requirement, kind="stable")  # triples of a requirement share its scores
        for start in range(0, len(order), step):
            triples = order[start : start + step]
            needed, local = np.unique(requirement[triples], return_inverse=True)
            scores = score_block(self.catalog, needs.lows[needed], needs.highs[needed], needs.weights[needed])
            bands = (needs.lows[needed], needs.highs[needed], needs.weights[needed])
            combos, local_combo = np.unique(combo[triples], return_inverse=True)
            masks = filters.masks(combos)
            group = max(1, CACHED_CELLS // len(self.catalog))
            for at in range(0, len(triples), group):
                some = slice(at, at + group)
                self._picks(shared, triples[some], scores, local.reshape(-1)[some], bands, masks,
                            local_combo.reshape(-1)[some], asks, ask[triples[some]])  # fmt: skip
        return shared

    def _picks(self, shared, triples, scores, requirement, bands, masks, combo, asks, ask):
        """Fill `shared` for these triples: their scores with filtered-out shoes at -inf, top-k, shortlist."""
        catalog = self.catalog
        part = scores[requirement]  # a copy: fancy indexing
        keep = masks[combo]
        held = np.flatnonzero(asks.current[ask] >= 0)
        if len(held):
            part[held] += asks.points[ask[held]]
            keep[held] &= ~asks.excluded[ask[held]]
        np.copyto(part, -np.inf, where=~keep)
        listed, ks = asks.listed[ask], asks.k[ask]
        # A shortlist is searched among each line's newest candidate only: the others are its "also",
        # whose scores no pick needs (shortlist() too reads only the representatives' scores).
        if listed.any():
            part[listed[:, None] & ~representatives(catalog, keep)] = -np.inf
        width = int(ks.max())
        depth = min(len(catalog), int(asks.depth[ask].max()))
        if depth * SORT_SHARE >= len(catalog):
            # A top-k would sort whole rows: walk them instead, in tiebreak order. Every representative is
            # looked at, so every list is settled and the one-runner shortlist below never looks further.
            best = None
            picked = np.full((len(ask), width), -1, dtype=np.intp)
            greedy = greedy_rows(part[:, self.tiebreak_order], self.tiebreak_brands, len(catalog.brands), ks, listed)
            picked[:, : greedy.shape[1]] = np.where(greedy >= 0, self.tiebreak_order[greedy], -1)
            settled = np.ones(len(ask), dtype=bool)
        else:
            best = top_k_block(part, catalog.id_rank, depth)
            greedy, settled = greedy_block(catalog, best, np.take_along_axis(part, np.maximum(best, 0), axis=1), ks)
            # Per triple its picks, -1 padded: the plain top-k, the block shortlist, or the one-runner one.
            picked = np.full((len(ask), width), -1, dtype=np.intp)
            head = best[:, :width]
            plain = ~listed
            picked[plain, : head.shape[1]] = np.where(np.arange(head.shape[1]) < ks[:, None], head, -1)[plain]
            picked[listed, : greedy.shape[1]] = greedy[listed]
        pinned = asks.pinned[ask]
        for row in np.flatnonzero(listed & settled & (pinned >= 0)).tolist():
            # A liked shoe's line to keep in a settled list: the one-runner shortlist's last step alone.
            r, k = requirement[row], int(ks[row])
            picks = pin(catalog, [p for p in picked[row, :k].tolist() if p >= 0], int(pinned[row]), keep[row],
                        part[row], k, Band(bands[0][r], bands[1][r], bands[2][r]))  # fmt: skip
            picked[row] = -1
            picked[row, : len(picks)] = picks
        # More lines to look at: the one-runner shortlist.
        for row in np.flatnonzero(listed & ~settled).tolist():
            rows = np.flatnonzero(keep[row])
            looked = best[row][best[row] >= 0]
            r = requirement[row]
            entries = shortlist(catalog, rows, part[row, rows], int(ks[row]), first=np.searchsorted(rows, looked),
                                pinned=None if pinned[row] < 0 else int(pinned[row]),
                                assessment=Band(bands[0][r], bands[1][r], bands[2][r]))  # fmt: skip
            picked[row] = -1
            picked[row, : len(entries)] = [e for e, _, _ in entries]
        rows_out, scores_out, found_out, candidates_out = shared
        rows_out[triples, :width] = picked
        scores_out[triples, :width] = np.clip(np.take_along_axis(part, np.maximum(picked, 0), axis=1), 0.0, 100.0)
        found_out[triples] = (picked >= 0).sum(axis=1)
        candidates_out[triples] = keep.sum(axis=1)


class Band(NamedTuple):  # what shortlist() reads of an assessment
    lows: np.ndarray
    highs: np.ndarray
    weights: np.ndarray


@dataclass(frozen=True)
class Asks:
    """What runners ask of the shortlist, per distinct ask (current shoe, shortlist or not, picks wanted), as arrays."""

    current: np.ndarray  # the current shoe's catalog row, -1 for none
    pinned: np.ndarray  # a liked current shoe's family, kept on the shortlist; -1 for none
    listed: np.ndarray  # a shortlist (True) or the plain ranking
    k: np.ndarray  # picks wanted
    depth: np.ndarray  # how many of the best to find first
    points: np.ndarray  # asks x catalog rows: the current shoe's points (current_shoe.py), 0 without one
    excluded: np.ndarray  # asks x catalog rows: a disliked current shoe's line

    @classmethod
    def of(cls, catalog, asks):
        """From (current shoe (id, liked) or None, shortlist, k) tuples."""
        n = len(asks)
        current, pinned = np.full(n, -1, dtype=np.intp), np.full(n, -1, dtype=np.intp)
        points, excluded = np.zeros((n, len(catalog))), np.zeros((n, len(catalog)), dtype=bool)
        for at, (shoe, _, _) in enumerate(asks):
            if shoe is not None:
                held = current_shoe(catalog, *shoe)
                current[at], points[at] = held.row, held.points
                if held.excluded is not None:
                    excluded[at] = held.excluded
                elif shoe[1]:
                    pinned[at] = catalog.family[held.row]
        listed = np.array([listed for _, listed, _ in asks], dtype=bool)
        k = np.array([k for _, _, k in asks], dtype=np.intp)
        depth = np.array([2 * depth_for(k) if listed else k for _, listed, k in asks], dtype=np.intp)
        return cls(current, pinned, listed, k, depth, points, excluded)


@contextlib.contextmanager
def paused_gc():
    """No automatic cycle collection while scoring.

    A block makes tens of thousands of small objects and no cycles, enough to
    start collections that walk the caller's whole heap (its profiles, say) and
    that cost as much as the scoring. Reference counting frees it all anyway.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
