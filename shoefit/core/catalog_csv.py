"""The catalog CSV format: its columns, and a reader that checks every cell and reports every problem.

The format is an interface every store feeds in, so a file is validated in full and refused whole if
anything is wrong, each problem named by file, line and column: serving half a catalog would silently
hide shoes.
"""

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidFile
from .vocabulary import CATEGORIES, RATING_MAX, RATING_MIN, TERRAINS, USES, WIDTHS

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
OPTIONAL_COLUMNS = ("seamless_upper", "year", "url", "use", "family")
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
TRUE_WORDS, FALSE_WORDS = {"true", "yes", "1"}, {"false", "no", "0", ""}
DEFAULT_USE = ("daily",)
# A model's trailing version: "Guide 19", "Fresh Foam X 1080 v14", "Cielo X1 2.0".
VERSION = re.compile(r"\s+v?(\d+(?:\.\d+)?)$", re.IGNORECASE)
MAX_PROBLEMS = 200


@dataclass(frozen=True)
class CatalogProblem:
    file: str
    line: int  # 1 is the header; 0 when the file could not be read
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


class CatalogError(InvalidFile):
    def describe(self):
        return f"invalid catalog ({len(self.problems)} problem(s))"


def read_bytes(path):
    """The bytes of the catalog file at `path`; CatalogError when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CatalogError([CatalogProblem(str(path), 0, None, None, f"cannot read: {exc.strerror}")]) from None


def parse_bytes(data, name):
    """Validate a catalog file's bytes in full; return shoe dicts or raise CatalogError listing every problem."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogError([CatalogProblem(name, line, None, None, "not UTF-8 text")]) from None
    return parse_rows(text, name)


def parse_rows(text, name):
    """Validate CSV text in full; return shoe dicts or raise CatalogError listing every problem."""
    problems = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise CatalogError([CatalogProblem(name, 1, None, None, "empty file: expected a header row")]) from None
    except csv.Error as exc:
        raise CatalogError([CatalogProblem(name, 1, None, None, f"malformed CSV: {exc}")]) from None
    header = [h.strip() for h in header]
    duplicates = sorted({h for h in header if header.count(h) > 1})
    for h in duplicates:
        problems.append(CatalogProblem(name, 1, h, None, "column appears more than once"))
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    for c in missing:
        problems.append(CatalogProblem(name, 1, c, None, "required column is missing"))
    if problems:
        raise CatalogError(problems)

    position = {h: i for i, h in enumerate(header)}
    shoes, first_line = [], {}
    line = 1
    try:
        for cells in reader:
            if len(problems) >= MAX_PROBLEMS:
                problems.append(
                    CatalogProblem(name, reader.line_num, None, None, f"stopped after {MAX_PROBLEMS} problems")
                )
                break
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                problems.append(
                    CatalogProblem(name, line, None, None, f"expected {len(header)} cells, found {len(cells)}")
                )
                continue
            row = {h: cells[i].strip() for h, i in position.items()}
            shoe = _parse_shoe(row, name, line, problems)
            if shoe is None:
                continue
            if shoe["id"] in first_line:
                problems.append(
                    CatalogProblem(
                        name, line, "id", shoe["id"], f"duplicate id (first on line {first_line[shoe['id']]})"
                    )
                )
                continue
            first_line[shoe["id"]] = line
            shoes.append(shoe)
    except csv.Error as exc:
        problems.append(CatalogProblem(name, reader.line_num or line, None, None, f"malformed CSV: {exc}"))
    if problems:
        raise CatalogError(problems)
    if not shoes:
        raise CatalogError([CatalogProblem(name, 2, None, None, "no shoe rows after the header")])
    return shoes


def _parse_shoe(row, name, line, problems):
    before = len(problems)

    def bad(column, message):
        problems.append(CatalogProblem(name, line, column, row.get(column), message))

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
    uses = [u.strip() for u in row["use"].split("|")] if row.get("use") else list(DEFAULT_USE)
    if not uses or any(u not in USES for u in uses):
        bad("use", f"must be '|'-separated values of {', '.join(USES)} (empty: daily)")
    shoe["use"] = list(dict.fromkeys(uses))
    shoe["family"] = row.get("family") or family_of(row["brand"], row["model"])
    shoe["extra"] = {k: v for k, v in row.items() if k not in KNOWN_COLUMNS}
    return shoe if len(problems) == before else None


def family_of(brand, model):
    """The model line a model belongs to: its name without the brand and the trailing version.

    "Guide 19" -> "Guide", "Fresh Foam X 1080 v14" -> "Fresh Foam X 1080", "ASICS Novablast 5" (brand
    ASICS) -> "Novablast", "Metaspeed Sky Tokyo" -> itself. A catalog's `family` column says it where
    a line was renamed between versions.
    """
    name = model.strip()
    if brand and name.casefold().startswith(brand.casefold() + " "):
        name = name[len(brand) + 1 :].strip()
    return VERSION.sub("", name) or name


def version_of(model):
    """The trailing version number of a model name, or 0 when it has none."""
    found = VERSION.search(model.strip())
    return float(found[1]) if found else 0.0


def _number(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
