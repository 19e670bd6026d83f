"""Shoes alike in how they feel: a scaled attribute space per catalog, its neighbours and its kernel.

Built once per Catalog on first use and kept beside it (weakly, so a reloaded
catalog takes its space with it); pure computation, no database, no Flask.
"""

import functools
import math
import threading
import weakref

import numpy as np

from .catalog_csv import RATING_COLUMNS

# What a runner feels on the foot: the seven rating columns, plus weight and drop,
# which a fitter hears about as often as cushioning ("heavy", "sits back on the heel").
# Left out: price and terrain (hard filters and preferences, not feel), the stack
# heights (cushioning and drop already carry them: drop is their difference), the
# category (a label for stability and arch support, which are in), and the seamless
# upper: a yes/no that would count as much as firm against maximal cushioning; the
# blisters it prevents are handled by the try-on's fit notes instead.
FEATURES = (*RATING_COLUMNS, "weight_g", "drop_mm")
# Every feature is scaled to 0-1 over the catalog (min_max_scaled), so grams and
# millimetres weigh no more than a rating, and a full-range gap in one attribute
# is distance 1. On the bundled catalog the median nearest neighbour is 0.21 away
# and the median pair 0.91.
# Similarity exp(-gamma d^2) halves at this distance: a shoe one rating point off
# (a quarter of the 1-5 range) on two or three attributes. A typical nearest
# neighbour is then about 0.8 alike, a typical pair of shoes under 0.03, so
# feedback reaches a shoe's neighbourhood and not the whole catalog.
HALF_SIMILARITY_DISTANCE = 0.4
GAMMA = math.log(2.0) / HALF_SIMILARITY_DISTANCE**2
# Distances within this of the k-th are ties, broken by id like the ranking's.
TIE = 1e-9

_spaces = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def space(catalog):
    """The catalog's AttributeSpace, built on first use and then shared."""
    found = _spaces.get(catalog)
    if found is None:
        with _lock:
            found = _spaces.get(catalog)
            if found is None:
                found = _spaces[catalog] = AttributeSpace(catalog)
    return found


def similarity(distance):
    """The RBF kernel as a function of distance: 1 at 0, 1/2 at HALF_SIMILARITY_DISTANCE."""
    return np.exp(-GAMMA * np.square(distance))


def min_max_scaled(raw):
    """Each column scaled to 0-1: scikit-learn's MinMaxScaler().fit_transform(raw), the same operations in
    the same order, so the same floats (a test holds the two equal); a constant column is only shifted."""
    low, high = np.nanmin(raw, axis=0), np.nanmax(raw, axis=0)
    span = high - low
    span[span < 10 * np.finfo(span.dtype).eps] = 1.0
    scale = 1.0 / span
    scaled = raw * scale
    scaled += 0.0 - low * scale
    return scaled


class AttributeSpace:
    def __init__(self, catalog):
        self.catalog = catalog
        raw = np.array([[shoe[f] for f in FEATURES] for shoe in catalog.shoes], dtype=np.float64)
        self.scaled = min_max_scaled(raw)

    @functools.cached_property
    def index(self):
        # scikit-learn is imported here, by the one use that needs it: the kernel alone (a current shoe
        # in a batch, a try-on) does not, and the import costs a batch worker 1.3 s of CPU at start.
        from sklearn.neighbors import NearestNeighbors

        # A k-d tree measures coordinate differences, so identical shoes are exactly
        # 0 apart (the brute-force dot-product form leaves rounding noise).
        return NearestNeighbors(algorithm="kd_tree").fit(self.scaled)

    def kernel(self, rows):
        """(catalog rows x given rows) similarity 0-1; exactly 1 for a shoe with itself or its twin."""
        gaps = self.scaled[:, None, :] - self.scaled[None, rows, :]
        return similarity(np.sqrt(np.einsum("ijk,ijk->ij", gaps, gaps)))

    def neighbours(self, row, k):
        """Up to k other shoes nearest to catalog row `row`: [(row, distance, similarity)], nearest first.

        Ties at equal distance go by id, whatever order the tree returns them in,
        so the list is the same in every process.
        """
        n = len(self.catalog)
        k = min(k, n - 1)
        if k <= 0:
            return []
        point = self.scaled[row : row + 1]
        distances, _ = self.index.kneighbors(point, n_neighbors=min(k + 1, n))
        # Everything as near as the k-th other shoe, so ties at the edge are not cut arbitrarily.
        reach = distances[0, -1] + TIE
        near_distances, near_rows = self.index.radius_neighbors(point, radius=reach)
        near_rows, near_distances = near_rows[0], near_distances[0]
        others = near_rows != row
        near_rows, near_distances = near_rows[others], near_distances[others]
        order = np.lexsort((self.catalog.id_rank[near_rows], np.round(near_distances / TIE)))[:k]
        picked, picked_distances = near_rows[order], near_distances[order]
        return list(zip(picked.tolist(), picked_distances.tolist(), similarity(picked_distances).tolist()))
