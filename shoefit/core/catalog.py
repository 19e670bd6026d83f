"""The shoe catalog: validated shoes held as the numeric arrays the scorer works on."""

import functools
import hashlib
from pathlib import Path

import numpy as np

from .attributes import shoe_value
from .catalog_csv import CatalogError, CatalogProblem, parse_bytes, read_bytes, version_of
from .vocabulary import ATTRIBUTE_NAMES, TERRAINS, USES, WIDTHS

PACKAGE = Path(__file__).parent.parent  # shoefit/
TERRAIN_CODES = {name: i for i, name in enumerate(TERRAINS)}
WIDTH_BITS = {name: 1 << i for i, name in enumerate(WIDTHS)}
USE_BITS = {name: 1 << i for i, name in enumerate(USES)}
# The arrays Catalog._work_out makes; by_age: every row, each family's newest version first.
BUILT = ("matrix", "terrain", "width_bits", "price", "use_bits", "family", "by_age", "brand", "preference")


def bundled_catalog_path():
    # An installed wheel carries data/catalog.csv as shoefit/bundled/catalog.csv
    # (setup.cfg maps it); a source checkout or editable install reads it in place.
    installed = PACKAGE / "bundled" / "catalog.csv"
    return installed if installed.is_file() else PACKAGE.parent / "data" / "catalog.csv"


class Catalog:
    """Validated shoes plus the arrays the scorer works on, built once at load."""

    def __init__(self, shoes, version, source, built=None):
        """`built`: this same catalog's built_arrays(), saved earlier (catalog_built.py), not worked out again."""
        if not shoes:
            raise CatalogError([CatalogProblem(source, 1, None, None, "the catalog has no shoes")])
        self.shoes = tuple(shoes)
        self.version = version
        self.source = source
        self.index = {shoe["id"]: i for i, shoe in enumerate(self.shoes)}
        self.ids = np.array([s["id"] for s in self.shoes])
        self.brands = sorted({s["brand"] for s in self.shoes}, key=str.casefold)
        self.brand_codes = {b.casefold(): i for i, b in enumerate(self.brands)}
        for name, array in (self._work_out() if built is None else built).items():
            setattr(self, name, array)
        # Each family's rows, newest version first.
        self.lines = {}
        for row, family in zip(self.by_age.tolist(), self.family[self.by_age].tolist()):
            self.lines.setdefault(family, []).append(row)
        self._line_of = [self.lines[family] for family in self.family.tolist()]  # per row: its family's line
        # Per step d: the rows with a version d newer in their line, and that version's row. A candidate
        # stands for its line when no newer version is a candidate too (shortlist.representatives).
        self.newer_versions = []
        for d in range(1, max(map(len, self.lines.values()))):
            pairs = [(line[i], line[i - d]) for line in self.lines.values() for i in range(d, len(line))]
            self.newer_versions.append(tuple(np.array(side, dtype=np.intp) for side in zip(*pairs)))
        # Each attribute's ratings as codes into the few distinct levels the catalog
        # uses: scoring works out a runner's distance per level once, then looks it up.
        self.levels, self.level_codes = ordinal_codes(self.matrix)
        self.level_starts = tuple(np.cumsum([0] + [len(c) for c in self.levels[:-1]]).tolist())
        # Final tie-break: id order, the same in every process.
        self.id_rank = np.argsort(np.argsort(self.ids, kind="stable"), kind="stable")

    def built_arrays(self):
        """{name: array} of what takes a Python loop over every shoe to work out: what a saved catalog keeps."""
        return {name: getattr(self, name) for name in BUILT}

    def _work_out(self):
        shoes = self.shoes
        # A model line's versions share a family number (brand and family, any case).
        keys = [(s["brand"].casefold(), s["family"].casefold()) for s in shoes]
        numbers = {key: n for n, key in enumerate(dict.fromkeys(keys))}
        # Secondary preferences tell apart shoes that meet the targets equally:
        # lighter and cheaper first. Scaled within this catalog so they stay a tie-break.
        scaled = min_max_scaled(np.array([[s["weight_g"], s["price"]] for s in shoes], dtype=float))
        return {
            "matrix": np.array([[shoe_value(s, a) for a in ATTRIBUTE_NAMES] for s in shoes], dtype=np.float64),
            "terrain": np.array([TERRAIN_CODES[s["terrain"]] for s in shoes], dtype=np.int8),
            "width_bits": np.array([sum(WIDTH_BITS[w] for w in s["widths"]) for s in shoes], dtype=np.int8),
            "price": np.array([s["price"] for s in shoes], dtype=np.float64),
            "use_bits": np.array([sum(USE_BITS[u] for u in s["use"]) for s in shoes], dtype=np.int8),
            "family": np.array([numbers[key] for key in keys], dtype=np.intp),
            "by_age": np.array(sorted(range(len(shoes)), key=self._age), dtype=np.intp),
            "brand": np.array([self.brand_codes[s["brand"].casefold()] for s in shoes], dtype=np.int32),
            "preference": 1.0 - scaled.mean(axis=1),
        }

    def __len__(self):
        return len(self.shoes)

    def _age(self, row):
        """Sorts a family's versions newest first: by year, then version number, then id."""
        shoe = self.shoes[row]
        return (-(shoe["year"] or 0), -version_of(shoe["model"]), shoe["id"])

    def generations(self, row):
        """The rows of `row`'s family, newest version first."""
        return self._line_of[row]

    @functools.cached_property
    def level_table(self):
        """(every attribute's levels end to end, from level_starts on; the attribute of each level).

        Scoring works out one runner's distance to every level of every attribute in one pass over these.
        """
        sizes = [len(levels) for levels in self.levels]
        return np.concatenate(self.levels), np.repeat(np.arange(len(sizes)), sizes)

    @functools.cached_property
    def onehot_t(self):
        """(levels of all attributes x shoes): 1 where the shoe has that level.

        Built on first use: block scoring needs it, and scoring one runner against a small catalog; for a large
        catalog with many distinct decimal ratings it is the biggest array we hold.
        """
        onehot = np.zeros((self.level_starts[-1] + len(self.levels[-1]), len(self)))
        shoes = np.arange(len(self))
        for start, codes in zip(self.level_starts, self.level_codes):
            onehot[start + codes, shoes] = 1.0
        return onehot

    def get(self, shoe_id):
        i = self.index.get(shoe_id)
        return None if i is None else self.shoes[i]

    @classmethod
    def load(cls, path=None):
        """The catalog file at `path` (None: the bundled one); CatalogError listing every problem."""
        path = bundled_catalog_path() if path is None else path
        return cls.from_bytes(read_bytes(path), str(path))

    @classmethod
    def from_bytes(cls, data, name):
        return cls(parse_bytes(data, name), hashlib.sha256(data).hexdigest()[:16], name)


# scikit-learn's OrdinalEncoder and MinMaxScaler, written out in numpy with their exact arithmetic
# (tests/test_catalog.py holds them to it): importing scikit-learn takes over a second, and every
# command that reads a catalog, `shoefit validate-catalog` included, would pay it.


def ordinal_codes(matrix):
    """Per column, the sorted distinct values and each row's index among them."""
    levels, codes = [], []
    for column in matrix.T:
        distinct = np.unique(column)
        levels.append(distinct.astype(np.float64))
        codes.append(np.ascontiguousarray(np.searchsorted(distinct, column).astype(np.intp)))
    return tuple(levels), tuple(codes)


def min_max_scaled(values):
    """Each column scaled to [0, 1]; a column with one value throughout becomes 0."""
    low, high = values.min(axis=0), values.max(axis=0)
    spread = high - low
    scale = 1.0 / np.where(spread == 0.0, 1.0, spread)
    return values * scale + (0.0 - low * scale)
