"""Batch files: runner profiles in (CSV or JSON Lines), picks out (CSV, JSON Lines or Parquet).

Profiles are read a chunk at a time; each chunk is validated exactly as the API
validates a request, scored with BatchEngine, encoded, written, and dropped, so
memory stays bounded whatever the input size. With more than one chunk and more
than one job, chunks are scored in worker processes, or on a Dask cluster when
asked, and written back in input order. Output files appear under their final
name only complete.
"""

import collections
import contextlib
import csv
import difflib
import functools
import gc
import io
import itertools
import math
import multiprocessing
import operator
import os
import re
import secrets
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import marshmallow as ma
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from marshmallow import fields as f

from .batch import BatchEngine, paused_gc
from .catalog import Catalog, CatalogError, Problem, bundled_catalog_path
from .problems import item_errors
from .profile import Profile
from .recommender import InvalidProfile
from .rules import KnowledgeBase, RulesError
from .schemas import ProfileSchema
from .vocabulary import ARCH_TYPES, FIT_ISSUES, PRONATIONS

INPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
OUTPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet"}
PICKS_SCHEMA = pa.schema(
    [("profile_id", pa.string()), ("rank", pa.int32()), ("shoe_id", pa.string()), ("score", pa.float64()),
     ("warnings", pa.string())]
)  # fmt: skip
REJECTS_SCHEMA = pa.schema(
    [("line", pa.int64()), ("id", pa.string()), ("field", pa.string()), ("value", pa.string()), ("reason", pa.string())]
)
GRID_SCHEMA = pa.schema(
    [("arch_type", pa.string()), ("pronation", pa.string()), ("concern", pa.string()), ("rank", pa.int32()),
     ("shoe_id", pa.string()), ("brand", pa.string()), ("model", pa.string()), ("score", pa.float64())]
)  # fmt: skip
# The grid's runner types: no concern, or one concern that changes what a shoe must offer.
GRID_CONCERNS = ("none", "top_of_foot_soreness", "forefoot_pain", "morning_heel_pain", *FIT_ISSUES)
SCORE_DECIMALS = 3  # as the API rounds them
FIELD_MEMO = 1 << 16  # distinct cell texts remembered per field
LISTED_REJECTS = 20  # rejects kept in memory for stderr when there is no rejects file
SCHEMA = ProfileSchema()


class InputError(Exception):
    """A problem with a whole input file, or with where to score it: nothing is written (exit code 2)."""


class RowError(Exception):
    """A row that cannot be scored: [(field, value, reason)], and the row's id when known."""

    def __init__(self, problems, key=""):
        self.problems = problems
        self.key = key
        super().__init__("; ".join(f"{name}: {reason}" for name, _, reason in problems))


@dataclass(frozen=True)
class Reject:
    line: int
    id: str
    field: str
    value: str
    reason: str

    def __str__(self):
        where = f"line {self.line}" + (f", id {self.id!r}" if self.id else "")
        what = f"{self.field}: value {self.value!r}: " if self.field else ""
        return f"{where}: {what}{self.reason}"


def format_of(path, formats, what):
    suffix = Path(path).suffix.lower()
    if suffix not in formats:
        raise InputError(f"{path}: the {what} must end in {', '.join(formats)}")
    return formats[suffix]


# ------------------------------------------------------------------ validation


def _csv_layout():
    """CSV column -> (top-level field, nested key or None, marshmallow field): the schema flattened."""
    layout = {}
    for name, fld in SCHEMA.fields.items():
        if isinstance(fld, f.Nested):
            for key, sub in fld.schema.fields.items():
                layout[f"{name}_{key}"] = (name, key, sub)
        else:
            layout[name] = (name, None, fld)
    return layout


CSV_COLUMNS = _csv_layout()
INTEGER = re.compile(r"[+-]?[0-9]+")


def json_value(fld, text):
    """A non-empty CSV cell as the JSON value a request body would carry; the schema judges it."""
    if isinstance(fld, f.List):
        return [item.strip() for item in text.split("|")]
    if isinstance(fld, f.Integer) and INTEGER.fullmatch(text):
        return int(text)
    if isinstance(fld, f.Boolean) and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def check_header(header, name):
    unknown = [c for c in header if c != "id" and c not in CSV_COLUMNS]
    duplicates = sorted({c for c in header if header.count(c) > 1})
    problems = [f"unknown column {c!r}" + _did_you_mean(c) for c in unknown]
    problems += [f"column {c!r} appears more than once" for c in duplicates]
    if problems:
        known = ", ".join(["id", *CSV_COLUMNS])
        raise InputError(f"{name}: line 1: {'; '.join(problems)}. The columns are: {known}")


def _did_you_mean(column):
    close = difflib.get_close_matches(column, CSV_COLUMNS, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class CsvRows:
    """CSV rows to Profiles, judged exactly as the API's ProfileSchema judges a request.

    A schema load costs ~35 µs a row. But the schema validates, defaults and
    de-duplicates each top-level field on its own (no check spans fields), and
    Profile.from_dict canonicalises each on its own, so a field's outcome depends
    only on its own cells. Each distinct cell text (or tuple, for pain_* and
    training_*) is judged once by the schema itself and remembered: a column
    holds a few dozen distinct answers, not a million.
    """

    def __init__(self, header):
        self.width = len(header)
        self.id_at = header.index("id") if "id" in header else None
        self.limit_at = header.index("limit") if "limit" in header else None
        groups = collections.defaultdict(list)
        for at, column in enumerate(header):
            if column != "id":
                name, key, fld = CSV_COLUMNS[column]
                groups[name].append((at, column, key, fld))
        empty = Profile.from_dict(SCHEMA.load({}))
        self.defaults = {name: getattr(empty, name) for name in SCHEMA.fields}
        self.fields = [
            (name, operator.itemgetter(*[at for at, *_ in columns]), _field_judge(name, columns))
            for name, columns in groups.items()
        ]

    def read(self, line, cells):
        """(id, Profile, limit the row asks for or None); RowError if the row is invalid."""
        if isinstance(cells, str):
            raise RowError([("", "", cells)])  # the CSV reader's complaint about this row
        if len(cells) != self.width:
            raise RowError([("", "", f"expected {self.width} cells, found {len(cells)}")])
        key = (cells[self.id_at].strip() if self.id_at is not None else "") or str(line)
        values = dict(self.defaults)
        problems = []
        for name, cells_of, judge in self.fields:
            ok, outcome = judge(cells_of(cells))
            if ok:
                values[name] = outcome
            else:
                problems += outcome
        if problems:
            raise RowError(problems, key)
        profile = Profile(**values)
        asks = self.limit_at is not None and cells[self.limit_at].strip()
        return key, profile, profile.limit if asks else None

    @staticmethod
    def field_name(path):
        """The CSV column an API field path ("pain.days", "brands.0") comes from."""
        name, *rest = path.split(".")
        nested = rest and f"{name}_{rest[0]}" in CSV_COLUMNS
        return f"{name}_{rest[0]}" if nested else name


def _field_judge(name, columns):
    """cell text(s) -> (True, the field's Profile value) or (False, [(column, value, reason)]), memoised."""

    @functools.lru_cache(maxsize=FIELD_MEMO)
    def judge(cells):
        cells = cells if len(columns) > 1 else (cells,)  # itemgetter of one index gives the cell itself
        texts = {column: text.strip() for (_, column, _, _), text in zip(columns, cells)}
        body = _request_body(name, columns, texts)
        try:
            data = SCHEMA.load(body)
        except ma.ValidationError as exc:
            return False, _cell_problems(body, texts, exc.messages)
        return True, getattr(Profile.from_dict(data), name)

    return judge


def _request_body(name, columns, texts):
    """The request body that gives field `name` these cells; an empty cell is an answer not given."""
    given = {key: json_value(fld, texts[column]) for _, column, key, fld in columns if texts[column]}
    if not given:
        return {}
    return {name: given[None]} if None in given else {name: given}


def _cell_problems(body, texts, messages):
    problems = []
    for error in item_errors(messages, body):
        column = CsvRows.field_name(error["field"])
        # A bad list item is named by itself; anything else by the cell as written.
        problems.append((column, _text(error.get("value"), texts.get(column, "")), error["message"]))
    return problems


class JsonRows:
    """JSON Lines rows: {"id": ..., request body}, loaded by the API's schema as they are."""

    def read(self, line, raw):
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise RowError([("", _clip(raw), f"malformed JSON: {exc}")]) from None
        if not isinstance(body, dict):
            raise RowError([("", _clip(raw), "expected a JSON object")])
        key = body.pop("id", None)
        if isinstance(key, bool) or not isinstance(key, (str, int, type(None))):
            raise RowError([("id", _text(key), "must be a string or an integer")])
        key = str(key) if key not in (None, "") else str(line)
        try:
            data = SCHEMA.load(body)
        except ma.ValidationError as exc:
            problems = [(e["field"], _text(e.get("value")), e["message"]) for e in item_errors(exc.messages, body)]
            raise RowError(problems, key) from None
        return key, Profile.from_dict(data), data["limit"] if "limit" in body else None

    @staticmethod
    def field_name(path):
        return path


def _text(value, fallback=None):
    """A value for the rejects file: text as it is, anything else as JSON."""
    if isinstance(value, str):
        return value
    if fallback is not None:
        return fallback
    return "" if value is None else orjson.dumps(value).decode()


def _clip(raw, size=200):
    return raw[:size].decode("utf-8", "replace").rstrip("\r\n")


# ------------------------------------------------------------------ input files


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


# ------------------------------------------------------------------ scoring


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
        """`catalog`: CSV bytes, a path, or None for the bundled one; `rules_path`: None for the bundled rules."""
        if isinstance(catalog, (bytes, bytearray, memoryview)):
            data, name = bytes(catalog), "<bytes>"
        else:
            path = bundled_catalog_path() if catalog is None else catalog
            data, name = _catalog_bytes(path), str(path)
        if rules_path is None:
            return cls(data, name)
        return cls(data, name, _rules_text(rules_path), str(rules_path))

    def load(self):
        """(Catalog, KnowledgeBase); CatalogError or RulesError listing every problem."""
        catalog = Catalog.from_bytes(self.catalog, self.catalog_name)
        if self.rules is None:
            return catalog, KnowledgeBase.load()
        return catalog, KnowledgeBase.from_text(self.rules, self.rules_name)


def _catalog_bytes(path):
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        # The errors Catalog.load and KnowledgeBase.load give, so callers handle the same exceptions.
        raise CatalogError([Problem(str(path), 0, None, None, f"cannot read: {exc.strerror}")]) from None


def _rules_text(path):
    try:
        return Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError([f"{path}: cannot read: {exc}"]) from None


@dataclass(frozen=True)
class Job:
    """How to read, score and write a chunk of one file, picklable for workers."""

    input_format: str
    header: tuple | None
    output_format: str
    top: int


@dataclass
class ChunkResult:
    payload: object  # encoded output rows
    rejects: list
    read: int
    scored: int
    rejected: int
    rows: int
    end: int
    seconds: dict


class Stopwatch:
    """Seconds per stage, summed over calls."""

    def __init__(self):
        self.seconds = collections.Counter()

    @contextlib.contextmanager
    def __call__(self, stage):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - start


def collect_young():
    """Free the cycles made since the last call.

    A file run keeps automatic collection off from start to end (batch.paused_gc):
    a run allocates millions of small objects (cells, profiles, picks), and every
    700 of them would start a collection walking the long-lived memos and caches
    again and again, a third of the run time. Reference counting frees nearly
    everything anyway; each process calls this once per chunk for the rest.

    Cycles are few, some per chunk: a marshmallow error holds its traceback, and so
    every frame down to the chunk's, picks and all. Called between chunks, when
    the last one's data is freed already: only objects made since then that are
    still alive (new memo entries, the next chunk's cells) are walked, once.
    """
    gc.collect(0)


class ChunkScorer:
    def __init__(self, job, catalog, knowledge):
        self.rows = CsvRows(job.header) if job.input_format == "csv" else JsonRows()
        self.engine = BatchEngine(catalog, knowledge, top=job.top)
        self.top = job.top
        self.encode = ENCODERS[job.output_format]

    def __call__(self, chunk):
        clock = Stopwatch()
        with clock("collect"):
            collect_young()
        with clock("validate"):
            keys, profiles, keeps, rejects = self._read(chunk.records)
        with clock("score"):
            picks = self.engine.score(profiles)
        with clock("format"):
            batch = picks_batch(keys, picks, keeps)
            payload = self.encode(batch)
        rejected = len({r.line for r in rejects})
        return ChunkResult(
            payload, rejects, len(chunk.records), len(profiles), rejected, batch.num_rows, chunk.end, clock.seconds
        )

    def _read(self, records):
        keys, profiles, keeps, rejects = [], [], [], []
        for line, raw in records:
            try:
                key, profile, limit = self.rows.read(line, raw)
                self._check(profile, key)
            except RowError as exc:
                rejects += [Reject(line, exc.key, *problem) for problem in exc.problems]
                continue
            keys.append(key)
            profiles.append(profile)
            keeps.append(self.top if limit is None else min(limit, self.top))
        return keys, profiles, keeps, rejects

    def _check(self, profile, key):
        try:
            self.engine.check(profile)
        except InvalidProfile as exc:
            name = self.rows.field_name
            raise RowError([(name(e["field"]), _text(e.get("value")), e["message"]) for e in exc.errors], key) from None


_joined = functools.lru_cache(maxsize=1024)("|".join)


def picks_batch(keys, picks, keeps):
    """One row per profile and pick, best first; a profile without picks gets one row without a shoe."""
    shoe_ids, scores, counts = [], [], []
    for p, keep in zip(picks, keeps):
        n = min(len(p.ids), keep)
        if n:
            shoe_ids += p.ids[:n]
            scores += p.scores[:n]
        else:
            shoe_ids.append(None)
            scores.append(math.nan)
        counts.append(n)
    counts = np.array(counts, dtype=np.int64)
    rows_per_profile = np.maximum(counts, 1)
    owner = np.repeat(np.arange(len(picks)), rows_per_profile)
    first = np.cumsum(rows_per_profile) - rows_per_profile
    no_pick = np.repeat(counts == 0, rows_per_profile)
    warnings = [_joined(p.warnings) for p in picks]
    return pa.record_batch(
        [
            pa.array(keys, pa.string()).take(owner),
            pa.array(np.arange(len(owner)) - first[owner] + 1, pa.int32(), mask=no_pick),
            pa.array(shoe_ids, pa.string()),
            pa.array(np.round(np.array(scores, dtype=np.float64), SCORE_DECIMALS), mask=no_pick),
            pa.array(warnings, pa.string()).take(owner),
        ],
        schema=PICKS_SCHEMA,
    )


# ------------------------------------------------------------------ output files


def _encode_csv(batch):
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(batch, sink, pa_csv.WriteOptions(include_header=False))
    return sink.getvalue()


def _encode_jsonl(batch):
    option = orjson.OPT_APPEND_NEWLINE
    return b"".join(orjson.dumps(row, option=option) for row in batch.to_pylist())


# CSV and JSON Lines are encoded where the chunk was scored (a worker), so the
# writing process only copies bytes; Parquet has to be encoded by its one writer.
ENCODERS = {"csv": _encode_csv, "jsonl": _encode_jsonl, "parquet": lambda batch: batch}


@contextlib.contextmanager
def writer(kind, fh, schema):
    """A function writing encoded batches of `schema` rows to `fh` as `kind`."""
    if kind == "parquet":
        with pq.ParquetWriter(fh, schema) as parquet:
            yield parquet.write_batch
        return
    if kind == "csv":
        sink = pa.BufferOutputStream()
        pa_csv.write_csv(schema.empty_table(), sink)
        fh.write(sink.getvalue())
    yield fh.write


@contextlib.contextmanager
def atomic_file(path):
    """A binary file that shows up under `path` only once complete.

    It is written beside `path` under a temporary name, flushed to disk and
    renamed over `path` when the block succeeds. On any exception (also
    KeyboardInterrupt, or SIGTERM turned into one) the temporary file is removed
    and whatever was at `path` is left as it was.
    """
    path = Path(path)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temp, "xb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    # The rename itself must reach the disk too, or a crash can bring back the old file.
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class RejectSink:
    """Rejected rows: into a file (CSV, or JSON Lines for .jsonl/.ndjson), else the first few kept for stderr."""

    def __init__(self, path):
        self.path = path
        self.kind = "jsonl" if path and Path(path).suffix.lower() in (".jsonl", ".ndjson") else "csv"
        self.listed = []

    @contextlib.contextmanager
    def open(self):
        """A function taking each chunk's rejects."""
        if self.path is None:
            yield self._list
            return
        with atomic_file(self.path) as fh, writer(self.kind, fh, REJECTS_SCHEMA) as write:

            def write_rejects(rejects):
                if rejects:
                    batch = pa.RecordBatch.from_pylist([r.__dict__ for r in rejects], REJECTS_SCHEMA)
                    write(ENCODERS[self.kind](batch))

            yield write_rejects

    def _list(self, rejects):
        self.listed += rejects[: LISTED_REJECTS - len(self.listed)]


# ------------------------------------------------------------------ the run


@dataclass
class Summary:
    read: int = 0
    scored: int = 0
    rejected: int = 0
    problems: int = 0
    rows: int = 0
    listed: list = field(default_factory=list)  # first rejects, when there is no rejects file
    seconds: collections.Counter = field(default_factory=collections.Counter)

    def add(self, result):
        self.read += result.read
        self.scored += result.scored
        self.rejected += result.rejected
        self.problems += len(result.rejects)
        self.rows += result.rows
        self.seconds.update(result.seconds)


def score_file(source_path, output_path, *, sources, catalog, knowledge, rejects_path=None, top=10, chunk=8192,
               jobs=1, engine="local", scheduler=None, progress=None):  # fmt: skip
    """Score every profile of a CSV or JSON Lines file into `output_path`; a Summary.

    `catalog` and `knowledge` are what `sources` load to: chunks scored in this
    process use them, worker processes and Dask workers build theirs from
    `sources`. `engine` "local" scores here or in `jobs` processes; "dask" on the
    Dask cluster at `scheduler`, or on a local one started for the run.
    InputError for a problem with a whole file or with the engine (nothing is
    written then); `progress(bytes_read)` is called after each chunk.
    """
    output_kind = format_of(output_path, OUTPUT_FORMATS, "output file")
    _check_distinct(source_path, output_path, rejects_path)
    if engine == "dask":
        scored = functools.partial(_scored_on_dask, _dask(), sources, scheduler)
    else:
        scored = functools.partial(_scored_here, catalog, knowledge, sources, jobs)
    rejects = RejectSink(rejects_path)
    summary = Summary()
    clock = Stopwatch()
    with paused_gc(), open_source(source_path) as source:
        job = Job(source.format, source.header, output_kind, top)
        with (
            atomic_file(output_path) as fh,
            writer(output_kind, fh, PICKS_SCHEMA) as write,
            rejects.open() as reject,
            scored(job, chunks_of(source, chunk, clock)) as results,
        ):
            for result in results:
                with clock("write"):
                    write(result.payload)
                    reject(result.rejects)
                with clock("collect"):
                    collect_young()
                summary.add(result)
                if progress:
                    progress(result.end)
    summary.listed = rejects.listed
    summary.seconds.update(clock.seconds)
    return summary


def _check_distinct(*paths):
    named = [Path(p).resolve() for p in paths if p is not None]
    if len(set(named)) < len(named):
        raise InputError("the profiles, the output and the rejects must be three different files")


def in_order(submit, items, window, cancel=None):
    """The results of submit(item) for each item, in input order, with at most `window` futures pending.

    Reading never runs far ahead of writing. `cancel(futures)` gets the ones still
    pending when the results are not all taken: after an error, or when abandoned.
    """
    pending = collections.deque()
    try:
        for item in items:
            pending.append(submit(item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        if pending and cancel:
            cancel(list(pending))


@contextlib.contextmanager
def _scored_here(catalog, knowledge, sources, jobs, job, chunks):
    """ChunkResults in input order: in this process, or in `jobs` worker processes when there is more than one chunk."""
    head = list(itertools.islice(chunks, 2))
    chunks = itertools.chain(head, chunks)
    if jobs == 1 or len(head) < 2:
        yield map(ChunkScorer(job, catalog, knowledge), chunks)
        return
    context = multiprocessing.get_context("spawn")  # no fork: the parent may hold threads (pyarrow, tqdm)
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker, initargs=(job, sources))
    try:
        yield in_order(functools.partial(pool.submit, _score_in_worker), chunks, window=2 * jobs)
    finally:
        pool.shutdown(cancel_futures=True)


_worker_scorer = None


def _start_worker(job, sources):
    global _worker_scorer
    # Ctrl-C reaches the whole process group; the parent decides and stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()  # as paused_gc() in the parent, for the worker's whole life; ChunkScorer collects
    _worker_scorer = ChunkScorer(job, *sources.load())


def _score_in_worker(chunk):
    return _worker_scorer(chunk)


def _dask():
    """shoefit.distributed, imported only for the Dask engine: the local one never loads dask."""
    try:
        from . import distributed
    except ImportError as exc:
        raise InputError(str(exc)) from None
    return distributed


@contextlib.contextmanager
def _scored_on_dask(distributed, sources, scheduler, job, chunks):
    """ChunkResults in input order, each chunk scored on a Dask worker by the ChunkScorer it built once."""
    with distributed.Workers(sources, functools.partial(ChunkScorer, job), scheduler) as workers:
        yield workers.map(ChunkScorer.__call__, chunks)


# ------------------------------------------------------------------ grid


def grid_runners():
    """(arch_type, pronation, concern) of every runner type in the grid."""
    return list(itertools.product(ARCH_TYPES, PRONATIONS, GRID_CONCERNS))


def grid_batch(catalog, knowledge, top=None):
    """Every shoe ranked for every runner type: one row per (runner type, shoe), or its `top` best."""
    runners = grid_runners()
    profiles = [Profile.from_dict(SCHEMA.load(_grid_body(*runner))) for runner in runners]
    picks = BatchEngine(catalog, knowledge, top=len(catalog)).score(profiles)
    columns = collections.defaultdict(list)
    for runner, p in zip(runners, picks):
        for rank, (shoe_id, score) in enumerate(zip(p.ids[:top], p.scores[:top]), 1):
            shoe = catalog.get(shoe_id)
            for name, value in zip(GRID_SCHEMA.names, (*runner, rank, shoe_id, shoe["brand"], shoe["model"], score)):
                columns[name].append(value)
    columns["score"] = np.round(columns["score"], SCORE_DECIMALS)
    return pa.record_batch([columns[name] for name in GRID_SCHEMA.names], schema=GRID_SCHEMA)


def _grid_body(arch_type, pronation, concern):
    body = {"arch_type": arch_type, "pronation": pronation}
    if concern in FIT_ISSUES:
        body["fit_issues"] = [concern]
    elif concern != "none":
        body["symptoms"] = [concern]
    return body


def write_batch(batch, path):
    """One batch to `path`, as its extension says, atomically."""
    kind = format_of(path, OUTPUT_FORMATS, "output file")
    with atomic_file(path) as fh, writer(kind, fh, batch.schema) as write:
        write(ENCODERS[kind](batch))
