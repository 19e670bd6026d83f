"""The distinct hard-filter combinations of a block of runners, and masks over the catalog for each."""

import numpy as np

from ..core.catalog import TERRAIN_CODES, USE_BITS, WIDTH_BITS
from .runners import numbered, unique_rows

# The fields scoring.Filters.from_profile reads.
FILTER_FIELDS = ("terrain", "width", "max_price", "brands", "exclude_brands", "use", "use_only")
_TERRAIN_KEYS = {None: -1, **TERRAIN_CODES}
_WIDTH_KEYS = {None: 0, **WIDTH_BITS}
_USE_KEYS = {None: 0, **USE_BITS}


class FilterCombos:
    """The distinct hard-filter combinations of a block of runners (runners.py); masks over the catalog on demand."""

    def __init__(self, catalog, runners):
        self.catalog = catalog
        codes, fields = runners.fields(FILTER_FIELDS)
        # A use filters only with use_only: runners apart in their use alone share a combination.
        renumber, combos = numbered(((*f[:5], f[5] if f[6] else None) for f in fields), len(fields))
        self.combo = renumber[codes]
        terrain = np.array([_TERRAIN_KEYS[c[0]] for c in combos], dtype=np.int16)
        width = np.array([_WIDTH_KEYS[c[1]] for c in combos], dtype=np.int16)
        price = np.array([np.inf if c[2] is None else c[2] for c in combos], dtype=np.float64)
        use = np.array([_USE_KEYS[c[5]] for c in combos], dtype=np.int16)
        brands = np.ones((len(combos), len(catalog.brands)), dtype=bool)
        for row, (_, _, _, only, exclude, _) in enumerate(combos):
            if only:
                brands[row] = False
                brands[row, [catalog.brand_codes[b.casefold()] for b in only]] = True
            if exclude:
                brands[row, [catalog.brand_codes[b.casefold()] for b in exclude]] = False
        # Each kind of filter takes few values: one mask per value, and a combination's
        # mask is five of them and-ed together.
        self.parts = []
        for values, mask_of in (
            (terrain, lambda t: (catalog.terrain[None, :] == t[:, None]) | (t[:, None] < 0)),
            (width, lambda w: ((catalog.width_bits[None, :] & w[:, None]) != 0) | (w[:, None] == 0)),
            (price, lambda p: catalog.price[None, :] <= p[:, None]),
            (use, lambda u: ((catalog.use_bits[None, :] & u[:, None]) != 0) | (u[:, None] == 0)),
        ):
            distinct, which = np.unique(values, return_inverse=True)
            self.parts.append((mask_of(distinct), which.reshape(-1)))
        first, which = unique_rows(brands)
        self.parts.append((brands[first][:, catalog.brand], which))

    def masks(self, combos):
        """(combos x shoes) mask of the shoes each of these combinations lets through."""
        (masks, which), *others = self.parts
        out = masks[which[combos]]
        for masks, which in others:
            out &= masks[which[combos]]
        return out
