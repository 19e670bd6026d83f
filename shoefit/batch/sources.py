"""Where a run's inputs come from: the profiles file read a chunk at a time, and the catalog and rules."""

import contextlib
import csv
import io
import itertools
from dataclasses import dataclass, field

from ..core.catalog import Catalog, bundled_catalog_path
from ..core.catalog_csv import read_bytes
from ..core.knowledge import table_text
from ..core.knowledge_base import KnowledgeBase
from ..core.rules import RulesError
from .formats import INPUT_FORMATS, InputError, format_of
from .rows import check_header


@dataclass
class Chunk:
    records: list  # (line, CSV cells | a malformed-CSV message | a JSON line)
    end: int  # input bytes read so far, for progress


class CsvSource:
    format = "csv"

    def __init__(self, fh, name):
        self.fh = fh
        self.name = name
        self.reader = csv.reader(io.TextIOWrapper(fh, encoding="utf-8-sig", newline=""), strict=True)
        try:
            header = next(self.reader)
        except StopIteration:
            raise InputError(f"{name}: empty file: expected a header row") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(f"{name}: line 1: unreadable header: {exc}") from None
        self.header = tuple(h.strip() for h in header)
        check_header(self.header, name)

    def records(self):
        reader = self.reader
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield line, f"malformed CSV: {exc}"
                continue
            except UnicodeDecodeError:
                raise InputError(f"{self.name}: near line {line}: not UTF-8 text") from None
            # Blank lines, and rows of nothing but commas that spreadsheets export, are not runners.
            if any(cells):
                yield line, cells


class JsonSource:
    format = "jsonl"
    header = None

    def __init__(self, fh, name):
        self.fh = fh

    def records(self):
        for line, raw in enumerate(self.fh, 1):
            if raw.strip():
                yield line, raw


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
    records = source.records()
    while True:
        with clock("read"):
            batch = list(itertools.islice(records, size))
        if not batch:
            return
        yield Chunk(batch, source.fh.tell())


@dataclass(frozen=True)
class Sources:
    """The catalog's bytes and the rules' text, read once where a run starts.

    Workers, in processes or on a Dask cluster, build their Catalog and
    KnowledgeBase from these rather than from paths: a remote worker cannot see
    the caller's files, and every worker gets exactly what the caller validated.
    """

    catalog: bytes = field(repr=False)
    catalog_name: str
    rules: str | None = field(default=None, repr=False)  # None: the bundled rules, as every shoefit of this version
    rules_name: str | None = None

    @classmethod
    def read(cls, catalog=None, rules_path=None):
        """`catalog`: CSV bytes, a path, or None for the bundled one; `rules_path`: None for the bundled rules.

        CatalogError or RulesError when a file cannot be read, as Catalog.load and KnowledgeBase.load give.
        """
        if isinstance(catalog, (bytes, bytearray, memoryview)):
            data, name = bytes(catalog), "<bytes>"
        else:
            path = bundled_catalog_path() if catalog is None else catalog
            data, name = read_bytes(path), str(path)
        if rules_path is None:
            return cls(data, name)
        return cls(data, name, *table_text(rules_path, "rules.toml", RulesError))

    def load(self):
        """(Catalog, KnowledgeBase); CatalogError or RulesError listing every problem."""
        catalog = Catalog.from_bytes(self.catalog, self.catalog_name)
        if self.rules is None:
            return catalog, KnowledgeBase.load()
        return catalog, KnowledgeBase.from_text(self.rules, self.rules_name)
