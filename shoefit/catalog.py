"""The shoe catalog: a CSV file validated in full, then held as numeric arrays.

The CSV format is an interface every store feeds in, so loading reports every
problem by file, line and column and refuses the whole file if there is one:
serving half a catalog would silently hide shoes.
"""

import csv
import functools
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.preprocessing import MinMaxScaler, OrdinalEncoder

from .vocabulary import ATTRIBUTES, CATEGORIES, RATING_MAX, RATING_MIN, TERRAINS, WIDTHS

MAX_ID_LENGTH = 100  # ids go into URLs and files

RATING_COLUMNS = (
    "cushioning",
    "forefoot_cushioning",
    "arch_support",
    "stability",
    "heel_counter",
    "breathability",
    "toe_box",
)
MEASURE_COLUMNS = ("weight_g", "drop_mm", "heel_stack_mm", "forefoot_stack_mm", "price")
REQUIRED_COLUMNS = ("id", "brand", "model", "terrain", "category", *RATING_COLUMNS, "widths", *MEASURE_COLUMNS)
OPTIONAL_COLUMNS = ("seamless_upper", "year", "url")
KNOWN_COLUMNS = frozenset(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
# Physical sanity bounds: a value outside them is a typo (grams typed as ounces,
# a price in cents), and ranking on it would mislead.
MEASURE_BOUNDS = {
    "weight_g": (50, 1000),
    "drop_mm": (-5, 20),
    "heel_stack_mm": (0, 60),
    "forefoot_stack_mm": (0, 60),
    "price": (0, 2000),
}
TERRAIN_CODES = {name: i for i, name in enumerate(TERRAINS)}
WIDTH_BITS = {name: 1 << i for i, name in enumerate(WIDTHS)}
TRUE_WORDS, FALSE_WORDS = {"true", "yes", "1"}, {"false", "no", "0", ""}
MAX_PROBLEMS = 200


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: str | None
    value: str | None
    message: str

    def __str__(self):
        where = f"{self.file}:{self.line}"
        if self.column:
            where += f": column {self.column!r}"
        if self.value is not None:
            where += f": value {self.value!r}"
        return f"{where}: {self.message}"


class CatalogError(Exception):
    def __init__(self, problems):
        self.problems = problems
        listed = "\n".join(str(p) for p in problems)
        super().__init__(f"invalid catalog ({len(problems)} problem(s)):\n{listed}")


def bundled_catalog_path():
    # An installed wheel carries data/catalog.csv as shoefit/bundled/catalog.csv
    # (setup.cfg maps it); a source checkout or editable install reads it in place.
    installed = Path(__file__).with_name("bundled") / "catalog.csv"
    return installed if installed.is_file() else Path(__file__).parent.parent / "data" / "catalog.csv"


class Catalog:
    """Validated shoes plus the arrays the scorer works on, built once at load."""

    def __init__(self, shoes, version, source):
        if not shoes:
            raise CatalogError([Problem(source, 1, None, None, "the catalog has no shoes")])
        self.shoes = tuple(shoes)
        self.version = version
        self.source = source
        self.index = {shoe["id"]: i for i, shoe in enumerate(self.shoes)}
        self.ids = np.array([s["id"] for s in self.shoes])
        self.matrix = np.array(
            [[s[a] if a in RATING_COLUMNS else _seamless_rating(s) for a in ATTRIBUTES] for s in self.shoes],
            dtype=np.float64,
        )
        self.terrain = np.array([TERRAIN_CODES[s["terrain"]] for s in self.shoes], dtype=np.int8)
        self.width_bits = np.array([sum(WIDTH_BITS[w] for w in s["widths"]) for s in self.shoes], dtype=np.int8)
        self.price = np.array([s["price"] for s in self.shoes], dtype=np.float64)
        self.brands = sorted({s["brand"] for s in self.shoes}, key=str.casefold)
        self.brand_codes = {b.casefold(): i for i, b in enumerate(self.brands)}
        self.brand = np.array([self.brand_codes[s["brand"].casefold()] for s in self.shoes], dtype=np.int32)
        # Secondary preferences tell apart shoes that meet the targets equally:
        # lighter and cheaper first. Scaled within this catalog so they stay a tie-break.
        scaled = MinMaxScaler().fit_transform(np.array([[s["weight_g"], s["price"]] for s in self.shoes], dtype=float))
        self.preference = 1.0 - scaled.mean(axis=1)
        # Each attribute's ratings as codes into the few distinct levels the catalog
        # uses: scoring works out a runner's distance per level once, then looks it up.
        encoder = OrdinalEncoder(dtype=np.intp).fit(self.matrix)
        codes = encoder.transform(self.matrix)
        self.levels = tuple(c.astype(np.float64) for c in encoder.categories_)
        self.level_codes = tuple(np.ascontiguousarray(codes[:, a]) for a in range(codes.shape[1]))
        self.level_starts = tuple(np.cumsum([0] + [len(c) for c in self.levels[:-1]]).tolist())
        # Final tie-break: id order, the same in every process.
        self.id_rank = np.argsort(np.argsort(self.ids, kind="stable"), kind="stable")

    def __len__(self):
        return len(self.shoes)

    @functools.cached_property
    def onehot_t(self):
        """(levels of all attributes x shoes): 1 where the shoe has that level.

        Built on first use: only block scoring needs it, and for a large catalog
        with many distinct decimal ratings it is the biggest array we hold.
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
        path = bundled_catalog_path() if path is None else path
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise CatalogError([Problem(str(path), 0, None, None, f"cannot read: {exc.strerror}")]) from None
        return cls.from_bytes(data, str(path))

    @classmethod
    def from_bytes(cls, data, name):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise CatalogError([Problem(name, line, None, None, "not UTF-8 text")]) from None
        shoes = parse_rows(text, name)
        return cls(shoes, hashlib.sha256(data).hexdigest()[:16], name)


def _seamless_rating(shoe):
    return RATING_MAX if shoe["seamless_upper"] else RATING_MIN


def parse_rows(text, name):
    """Validate CSV text in full; return shoe dicts or raise CatalogError listing every problem."""
    problems = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise CatalogError([Problem(name, 1, None, None, "empty file: expected a header row")]) from None
    except csv.Error as exc:
        raise CatalogError([Problem(name, 1, None, None, f"malformed CSV: {exc}")]) from None
    header = [h.strip() for h in header]
    duplicates = sorted({h for h in header if header.count(h) > 1})
    for h in duplicates:
        problems.append(Problem(name, 1, h, None, "column appears more than once"))
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    for c in missing:
        problems.append(Problem(name, 1, c, None, "required column is missing"))
    if problems:
        raise CatalogError(problems)

    position = {h: i for i, h in enumerate(header)}
    shoes, first_line = [], {}
    line = 1
    try:
        for cells in reader:
            if len(problems) >= MAX_PROBLEMS:
                problems.append(Problem(name, reader.line_num, None, None, f"stopped after {MAX_PROBLEMS} problems"))
                break
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                problems.append(Problem(name, line, None, None, f"expected {len(header)} cells, found {len(cells)}"))
                continue
            row = {h: cells[i].strip() for h, i in position.items()}
            shoe = _parse_shoe(row, name, line, problems)
            if shoe is None:
                continue
            if shoe["id"] in first_line:
                problems.append(
                    Problem(name, line, "id", shoe["id"], f"duplicate id (first on line {first_line[shoe['id']]})")
                )
                continue
            first_line[shoe["id"]] = line
            shoes.append(shoe)
    except csv.Error as exc:
        problems.append(Problem(name, reader.line_num or line, None, None, f"malformed CSV: {exc}"))
    if problems:
        raise CatalogError(problems)
    if not shoes:
        raise CatalogError([Problem(name, 2, None, None, "no shoe rows after the header")])
    return shoes


def _parse_shoe(row, name, line, problems):
    before = len(problems)

    def bad(column, message):
        problems.append(Problem(name, line, column, row.get(column), message))

    for column in ("id", "brand", "model"):
        if not row[column]:
            bad(column, "must not be empty")
    if row["id"] and (len(row["id"]) > MAX_ID_LENGTH or any(c.isspace() or c == "/" for c in row["id"])):
        bad("id", f"must be at most {MAX_ID_LENGTH} characters with no spaces or '/'")
    if row["terrain"] not in TERRAINS:
        bad("terrain", f"must be one of {', '.join(TERRAINS)}")
    if row["category"] not in CATEGORIES:
        bad("category", f"must be one of {', '.join(CATEGORIES)}")
    shoe = {"id": row["id"], "brand": row["brand"], "model": row["model"]}
    shoe["terrain"], shoe["category"] = row["terrain"], row["category"]
    for column in RATING_COLUMNS:
        value = _number(row[column])
        if value is None or not RATING_MIN <= value <= RATING_MAX:
            bad(column, f"must be a number from {RATING_MIN:g} to {RATING_MAX:g}")
        shoe[column] = value
    widths = [w.strip() for w in row["widths"].split("|")] if row["widths"] else []
    unknown = [w for w in widths if w not in WIDTHS]
    if not widths or unknown:
        bad("widths", f"must be '|'-separated values of {', '.join(WIDTHS)}")
    shoe["widths"] = list(dict.fromkeys(widths))
    for column in MEASURE_COLUMNS:
        value = _number(row[column])
        low, high = MEASURE_BOUNDS[column]
        if value is None or not low <= value <= high:
            bad(column, f"must be a number from {low} to {high}")
        shoe[column] = value
    seamless = row.get("seamless_upper", "").lower()
    if seamless not in TRUE_WORDS | FALSE_WORDS:
        bad("seamless_upper", "must be true or false")
    shoe["seamless_upper"] = seamless in TRUE_WORDS
    year = row.get("year", "")
    if year and not (year.isdigit() and 1970 <= int(year) <= 2100):
        bad("year", "must be a year such as 2025")
    shoe["year"] = int(year) if year.isdigit() else None
    shoe["url"] = row.get("url") or None
    shoe["extra"] = {k: v for k, v in row.items() if k not in KNOWN_COLUMNS}
    return shoe if len(problems) == before else None


def _number(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
