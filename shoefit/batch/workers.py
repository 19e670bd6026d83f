"""Chunks scored in this machine's processes: here, or in worker processes that each build their own scorer.

Results come back in input order, with a bounded number of chunks in flight, so reading never runs
far ahead of writing; the Dask engine (dask_engine.py) hands its results back the same way.
"""

import collections
import contextlib
import ctypes
import functools
import gc
import itertools
import signal
from concurrent.futures import ProcessPoolExecutor

from threadpoolctl import threadpool_limits

from .chunk_scorer import ChunkScorer
from .spool import spool_folder, spooled
from .worker_start import worker_context


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
def scored_here(catalog, knowledge, sources, jobs, job, chunks, output_path=None):
    """ChunkResults in input order: in this process, or in `jobs` worker processes when there is more than one chunk.

    With `output_path`, workers hand their encoded chunks back as files beside it (spool.py): a ChunkResult's
    payload is then a spool.Spooled, which formats.writer takes as it takes the chunk itself.
    """
    head = list(itertools.islice(chunks, 2))
    chunks = itertools.chain(head, chunks)
    if jobs == 1 or len(head) < 2:
        yield map(ChunkScorer(job, catalog, knowledge), chunks)
        return
    with contextlib.ExitStack() as stack:
        folder = None if output_path is None else stack.enter_context(spool_folder(output_path))
        pool = ProcessPoolExecutor(jobs, mp_context=worker_context(), initializer=_start_worker,
                                   initargs=(job, sources, folder))  # fmt: skip
        # Shut down before the spool folder goes: no worker is still writing into it.
        stack.callback(pool.shutdown, cancel_futures=True)
        yield in_order(functools.partial(pool.submit, _score_in_worker), chunks, window=2 * jobs)


_worker_scorer = None
_worker_spool = None


def _start_worker(job, sources, spool=None):
    global _worker_scorer, _worker_spool
    _worker_spool = spool
    # Ctrl-C reaches the whole process group; the parent decides and stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()  # as paused_gc() in the parent, for the worker's whole life; ChunkScorer collects
    # One BLAS thread: the workers are as many as the cores already, and BLAS threads spinning
    # beside them took a third of the run's wall time (as Dask's nanny does for its workers).
    threadpool_limits(1, user_api="blas")
    _keep_freed_memory()
    _worker_scorer = ChunkScorer(job, *sources.load())


# glibc's mallopt parameters (malloc.h), and what a worker sets them to.
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_KEPT_FREE = 512 << 20
_TOP_PAD = 64 << 20
_MMAP_FROM = 32 << 20  # the largest glibc takes on 64-bit systems


def _keep_freed_memory():
    """Keep freed memory for the next chunk instead of handing it back to the kernel.

    Each chunk allocates and frees the same tens of MB of arrays; by default glibc trims them off its
    heap at each free and the next chunk faults fresh zeroed pages in again: a tenth of a worker's CPU,
    in the kernel. The peak stays what it was; a worker just holds on to it until it ends. Other C
    libraries (no mallopt) keep their own ways.

    Arrays up to 32 MB come from that heap too: setting the trim threshold also fixes glibc's mmap threshold at
    its 128 KB default, and each larger array was mapped afresh and unmapped when freed (over a million runners
    the two workers' time in the kernel went from 1.07 to 0.35 s, and a first chunk from 0.56 to 0.37 s).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_TRIM_THRESHOLD, _KEPT_FREE)
    mallopt(_M_TOP_PAD, _TOP_PAD)
    mallopt(_M_MMAP_THRESHOLD, _MMAP_FROM)


def _score_in_worker(chunk):
    result = _worker_scorer(chunk)
    if _worker_spool is not None:
        result.payload = spooled(result.payload, _worker_spool, f"{chunk.end}.part")
    return result
