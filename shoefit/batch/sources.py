"""Where a run's inputs come from: the profiles file read a chunk at a time, and the catalog and rules."""

import contextlib
import itertools
from dataclasses import dataclass, field

from ..core.catalog import Catalog, bundled_catalog_path
from ..core.catalog_csv import read_bytes
from ..core.knowledge import table_text
from ..core.knowledge_base import KnowledgeBase
from ..core.rules import RulesError
from ..core.weights_overlay import WeightsOverlay, read_overlay
from .csv_split import read_header, record_chunks
from .formats import INPUT_FORMATS, InputError, format_of
from .rows import check_header


@dataclass
class Chunk:
    records: object  # CSV: the bytes of whole records (csv_split.py); JSON Lines: (line, raw line) pairs
    end: int  # input bytes read so far, for progress
    line: int = 0  # CSV: the file line the bytes start on


class CsvSource:
    format = "csv"

    def __init__(self, fh, name):
        self.fh = fh
        self.name = name
        header, self.lines = read_header(fh, name)
        self.header = tuple(h.strip() for h in header)
        check_header(self.header, name)

    def chunks(self, size):
        for data, line, end in record_chunks(self.fh, size, self.lines + 1):
            yield Chunk(data, end, line)


class JsonSource:
    format = "jsonl"
    header = None

    def __init__(self, fh, name):
        self.fh = fh

    def chunks(self, size):
        records = ((line, raw) for line, raw in enumerate(self.fh, 1) if raw.strip())
        while batch := list(itertools.islice(records, size)):
            yield Chunk(batch, self.fh.tell())


@contextlib.contextmanager
def open_source(path):
    kind = format_of(path, INPUT_FORMATS, "profiles file")
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    with fh:
        yield (CsvSource if kind == "csv" else JsonSource)(fh, str(path))


def chunks_of(source, size, clock):
    chunks = source.chunks(size)
    while True:
        with clock("read"):
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


@dataclass(frozen=True)
class Sources:
    """The catalog's bytes, the rules' text and the weights overlay's, read once where a run starts.

    Workers, in processes or on a Dask cluster, build their Catalog and
    KnowledgeBase from these rather than from paths: a remote worker cannot see
    the caller's files, and every worker gets exactly what the caller validated.
    """

    catalog: bytes = field(repr=False)
    catalog_name: str
    rules: str | None = field(default=None, repr=False)  # None: the bundled rules, as every shoefit of this version
    rules_name: str | None = None
    weights: str | None = field(default=None, repr=False)  # None: no overlay, the rules' weights as written
    weights_name: str | None = None

    @classmethod
    def read(cls, catalog=None, rules_path=None, weights_path=None):
        """`catalog`: CSV bytes, a path, or None for the bundled one; `rules_path`: None for the bundled rules;
        `weights_path`: a weights overlay (`shoefit calibrate`), or None for none.

        CatalogError, RulesError or WeightsError when a file cannot be read or is invalid.
        """
        # Checked here, where the run starts, not in every worker.
        weights = () if weights_path is None else (read_overlay(weights_path)[1], str(weights_path))
        if isinstance(catalog, (bytes, bytearray, memoryview)):
            data, name = bytes(catalog), "<bytes>"
        else:
            path = bundled_catalog_path() if catalog is None else catalog
            data, name = read_bytes(path), str(path)
        rules = (None, None) if rules_path is None else table_text(rules_path, "rules.toml", RulesError)
        return cls(data, name, *rules, *weights)

    def load(self):
        """(Catalog, KnowledgeBase); CatalogError, RulesError or WeightsError listing every problem."""
        catalog = Catalog.from_bytes(self.catalog, self.catalog_name)
        overlay = None if self.weights is None else WeightsOverlay.from_text(self.weights, self.weights_name)
        if self.rules is None:
            return catalog, KnowledgeBase.load(overlay=overlay)
        return catalog, KnowledgeBase.from_text(self.rules, self.rules_name, overlay)
