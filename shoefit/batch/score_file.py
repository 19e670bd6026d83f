"""`shoefit score`: a profiles file (CSV or JSON Lines) in, picks out (CSV, JSON Lines or Parquet).

Profiles are read a chunk at a time; each chunk is validated exactly as the API
validates a request, scored with BatchEngine, encoded, written, and dropped, so
memory stays bounded whatever the input size. With more than one chunk and more
than one job, chunks are scored in worker processes, or on a Dask cluster when
asked, and written back in input order. Output files appear under their final
name only complete.
"""

import collections
import contextlib
import functools
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ..core.atomic_file import atomic_file
from . import CHUNK_RUNNERS
from .chunk_scorer import Job, Stopwatch, collect_young
from .engine import paused_gc
from .formats import ENCODERS, OUTPUT_FORMATS, PICKS_SCHEMA, REJECTS_SCHEMA, InputError, format_of, writer
from .sources import chunks_of, open_source
from .workers import scored_here

LISTED_REJECTS = 20  # rejects kept in memory for stderr when there is no rejects file


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


def score_file(source_path, output_path, *, sources, catalog, knowledge, rejects_path=None, top=10, chunk=CHUNK_RUNNERS,
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
        scored = functools.partial(_dask().scored_on_dask, sources, scheduler)
    else:
        scored = functools.partial(scored_here, catalog, knowledge, sources, jobs, output_path=output_path)
    rejects = RejectSink(rejects_path)
    summary = Summary()
    clock = Stopwatch()
    with paused_gc(), open_source(source_path) as source:
        job = Job(source.format, source.header, output_kind, top, str(source_path))
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


def _dask():
    """The Dask engine's module, imported only when asked for: the local engine never loads dask."""
    try:
        from . import dask_engine
    except ImportError as exc:
        raise InputError(str(exc)) from None
    return dask_engine
