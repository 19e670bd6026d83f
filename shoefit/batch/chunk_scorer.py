"""One chunk of a profiles file scored: rows read and judged, picks found, output rows encoded."""

import collections
import contextlib
import functools
import gc
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .csv_columns import CsvColumns
from .csv_parse import parse_chunk
from .engine import BatchEngine
from .formats import ENCODERS, PICKS_SCHEMA, SCORE_DECIMALS
from .json_rows import JsonRows
from .rows import Reject, RowError
from .runners import ProfileRunners


@dataclass(frozen=True)
class Job:
    """How to read, score and write a chunk of one file, picklable for workers."""

    input_format: str
    header: tuple | None
    output_format: str
    top: int
    name: str = ""  # the input file's, for errors


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

    A file run keeps automatic collection off from start to end (engine.paused_gc):
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
    """Reads, scores and encodes one chunk of a file: what a worker process or a Dask worker holds, once."""

    def __init__(self, job, catalog, knowledge):
        self.job = job
        if job.input_format == "csv":
            self.columns = CsvColumns(job.header, catalog, job.top)
        else:
            self.rows = JsonRows(catalog)
        self.engine = BatchEngine(catalog, knowledge, top=job.top)
        self.top = job.top
        self.shoe_ids = pa.array(catalog.ids.tolist(), pa.string())
        self.encode = ENCODERS[job.output_format]

    def __call__(self, chunk):
        clock = Stopwatch()
        with clock("collect"):
            collect_young()
        if self.job.input_format == "csv":
            with clock("read"):
                parsed = parse_chunk(chunk.records, chunk.line, len(self.job.header), self.job.name)
            with clock("validate"):
                keys, runners, keeps, rejects = self.columns.judge(parsed)
            read = parsed.records
        else:
            with clock("validate"):
                keys, runners, keeps, rejects = self._read(chunk.records)
            read = len(chunk.records)
        with clock("score"):
            picks = self.engine.score_runners(runners, keeps)
        with clock("format"):
            batch = picks_batch(keys, picks, self.shoe_ids)
            payload = self.encode(batch)
        rejected = len({r.line for r in rejects})
        return ChunkResult(payload, rejects, read, len(runners), rejected, batch.num_rows, chunk.end, clock.seconds)

    def _read(self, records):
        keys, profiles, keeps, rejects = [], [], [], []
        for line, raw in records:
            try:
                key, profile, limit = self.rows.read(line, raw)
            except RowError as exc:
                rejects += Reject.of(line, exc)
                continue
            keys.append(key)
            profiles.append(profile)
            keeps.append(self.top if limit is None else min(limit, self.top))
        return pa.array(keys, pa.string()), ProfileRunners(profiles), keeps, rejects


def picks_batch(keys, picks, shoe_ids):
    """One row per runner and pick, best first; a runner without picks gets one row without a shoe.

    keys: a pa.StringArray, one per runner; picks: the engine's BlockPicks of those runners; shoe_ids: the
    catalog's ids as a pa.StringArray. Built from the picks' arrays: nothing per row in Python.
    """
    found = picks.found[picks.triple]
    rows_per_runner = np.maximum(found, 1)
    owner = np.repeat(np.arange(len(found)), rows_per_runner)
    rank = np.arange(len(owner)) - (np.cumsum(rows_per_runner) - rows_per_runner)[owner]
    no_pick = np.repeat(found == 0, rows_per_runner)
    triple = picks.triple[owner]
    shoe = picks.picked[triple, rank]
    warned = pa.array(np.asarray(picks.warning_set, dtype=np.intp)[owner])
    warnings = pa.array([_joined(codes) for codes in picks.warning_codes], pa.string())
    return pa.record_batch(
        [
            keys.take(pa.array(owner)),
            pa.array(rank + 1, pa.int32(), mask=no_pick),
            shoe_ids.take(pa.array(np.maximum(shoe, 0), mask=no_pick)),
            pa.array(np.round(picks.scores[triple, rank], SCORE_DECIMALS), mask=no_pick),
            warnings.take(warned),
            pa.array(picks.triage_states, pa.string()).take(warned),
        ],
        schema=PICKS_SCHEMA,
    )


_joined = functools.lru_cache(maxsize=1024)("|".join)
