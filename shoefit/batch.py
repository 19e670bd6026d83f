"""Batch scoring: many runners against the catalog, a block at a time.

The same rules and the same scores as a single request (scoring.score_block is
score() laid out as a matrix product, bit for bit); what this module adds is
per-runner filters as masks, top-k per row, and streaming in blocks.
"""

import functools
import itertools
from dataclasses import dataclass

import numpy as np

from .catalog import TERRAIN_CODES, WIDTH_BITS
from .recommender import check_brands
from .scoring import score_block, top_k_block

# Scores of one block are (runners x shoes) floats: keep a block near 32 MB.
BLOCK_CELLS = 4_000_000
ASSESS_MEMO = 8192


@dataclass(frozen=True)
class Picks:
    ids: tuple  # shoe ids, best first, at most `top`
    scores: tuple  # 0-100, equal to the single-request scores
    warnings: tuple  # warning codes, most serious first
    candidates: int  # shoes left after the runner's filters


class BatchEngine:
    def __init__(self, catalog, knowledge, top=10):
        self.catalog = catalog
        self.top = top
        # Real customer files repeat the same answers many times over.
        self.assess = functools.lru_cache(maxsize=ASSESS_MEMO)(knowledge.assess)

    def check(self, profile):
        """Raise InvalidProfile if the profile asks for brands this catalog lacks."""
        check_brands(self.catalog, profile)

    def score(self, profiles):
        """Picks for each (checked) profile, in order."""
        profiles = list(profiles)
        per_block = max(1, BLOCK_CELLS // max(1, len(self.catalog)))
        picks = []
        for start in range(0, len(profiles), per_block):
            picks.extend(self._score_block(profiles[start : start + per_block]))
        return picks

    def score_stream(self, records, chunk=4096):
        """(key, profile) pairs in, (key, Picks) out in the same order, `chunk` at a time."""
        records = iter(records)
        while batch := list(itertools.islice(records, chunk)):
            keys, profiles = zip(*batch)
            yield from zip(keys, self.score(profiles))

    def _score_block(self, profiles):
        catalog = self.catalog
        assessments = [self.assess(p) for p in profiles]
        targets = np.array([a.targets for a in assessments])
        weights = np.array([a.weights for a in assessments])
        scores = score_block(catalog, targets, weights)
        allowed = self._allowed(profiles)
        if allowed is not None:
            np.copyto(scores, -np.inf, where=~allowed)
        best = top_k_block(scores, catalog.id_rank, self.top)
        candidates = np.full(len(profiles), len(catalog)) if allowed is None else allowed.sum(axis=1)
        out = []
        for row, assessment in enumerate(assessments):
            chosen = best[row][best[row] >= 0]
            out.append(
                Picks(
                    tuple(catalog.ids[chosen].tolist()),
                    tuple(scores[row, chosen].tolist()),
                    tuple(w["code"] for w in assessment.warnings),
                    int(candidates[row]),
                )
            )
        return out

    def _allowed(self, profiles):
        """(runners x shoes) mask of what each runner's hard filters let through, or None.

        Each kind of filter costs a pass over the block, so only the kinds some
        runner in the block uses are applied.
        """
        catalog = self.catalog
        allowed = None

        def both(mask):
            nonlocal allowed
            if allowed is None:
                allowed = mask
            else:
                allowed &= mask

        if any(p.terrain for p in profiles):
            terrain = np.array([TERRAIN_CODES[p.terrain] if p.terrain else -1 for p in profiles])
            both((catalog.terrain[None, :] == terrain[:, None]) | (terrain[:, None] < 0))
        if any(p.width for p in profiles):
            width = np.array([WIDTH_BITS[p.width] if p.width else 0 for p in profiles], dtype=catalog.width_bits.dtype)
            both(((catalog.width_bits[None, :] & width[:, None]) != 0) | (width[:, None] == 0))
        if any(p.max_price is not None for p in profiles):
            price = np.array([np.inf if p.max_price is None else p.max_price for p in profiles])
            both(catalog.price[None, :] <= price[:, None])
        if any(p.brands or p.exclude_brands for p in profiles):
            brands = np.ones((len(profiles), len(catalog.brands)), dtype=bool)
            for row, p in enumerate(profiles):
                if p.brands:
                    brands[row] = False
                    brands[row, [catalog.brand_codes[b.casefold()] for b in p.brands]] = True
                if p.exclude_brands:
                    brands[row, [catalog.brand_codes[b.casefold()] for b in p.exclude_brands]] = False
            both(brands[:, catalog.brand])
        return allowed
