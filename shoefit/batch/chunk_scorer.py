"""One chunk of a profiles file scored: rows read and judged, picks found, output rows encoded."""

import collections
import contextlib
import functools
import gc
import math
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .engine import BatchEngine
from .formats import ENCODERS, PICKS_SCHEMA, SCORE_DECIMALS
from .rows import CsvRows, JsonRows, Reject, RowError


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
        self.rows = CsvRows(job.header, catalog) if job.input_format == "csv" else JsonRows(catalog)
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
            picks = self.engine.score(profiles, keeps)
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
            except RowError as exc:
                rejects += Reject.of(line, exc)
                continue
            keys.append(key)
            profiles.append(profile)
            keeps.append(self.top if limit is None else min(limit, self.top))
        return keys, profiles, keeps, rejects


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
            pa.array([p.triage for p in picks], pa.string()).take(owner),
        ],
        schema=PICKS_SCHEMA,
    )
