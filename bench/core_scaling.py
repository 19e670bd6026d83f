"""What two worker processes get from this machine's cores: a chunk scorer alone, then two side by side.

`shoefit score` runs one chunk scorer per core. If two scorers at once each ran as fast as one alone, two cores
would score twice the runners per second; where they share caches and memory bandwidth (a virtual machine's two
vCPUs on one host core's siblings, a shared L3), each slows down, and the end-to-end run with them. A loop of plain
Python (registers and L1 only) is timed the same way, alone and side by side, to tell the cores from the memory.

Each process is set up as a worker of `shoefit score` is (batch/workers.py) and times only its own scoring; the
two side by side start together at a barrier. The machine's neighbours come and go: the rounds alternate.
"""

import multiprocessing
import statistics
import time

SPIN_STEPS = 15_000_000


def _spin(_chunks):
    total = 0
    for i in range(SPIN_STEPS):
        total += i
    return total


def _scorer(source, kind, top, size, count):
    """A function scoring `count` chunks of `size` runners of `source` the way a worker does, built beforehand."""
    from shoefit.batch import workers
    from shoefit.batch.chunk_scorer import Job
    from shoefit.batch.sources import Sources, open_source

    with open_source(source) as opened:
        chunks = [chunk for _, chunk in zip(range(count), opened.chunks(size))]
        job = Job(opened.format, opened.header, kind, top, str(source))
    workers._start_worker(job, Sources.read())  # gc off, one BLAS thread, freed memory kept, the scorer built
    scorer = workers._worker_scorer
    return lambda: [scorer(chunk) for chunk in chunks]


def _timed(barrier, results, work, args):
    run = _scorer(*args) if work == "score" else (lambda: _spin(None))
    barrier.wait()
    start = time.perf_counter()
    run()
    results.put(time.perf_counter() - start)


def side_by_side(work, processes, args=()):
    """Seconds each of `processes` fresh processes took over the same work, started together."""
    context = multiprocessing.get_context("spawn")  # fresh interpreters, as forkserver workers are
    barrier, results = context.Barrier(processes), context.Queue()
    started = [context.Process(target=_timed, args=(barrier, results, work, args)) for _ in range(processes)]
    for process in started:
        process.start()
    seconds = sorted(results.get(timeout=600) for _ in started)
    for process in started:
        process.join()
    return seconds


def report(source, kind, top, size, count, rounds=3):
    print(
        f"\n== 3. Two cores: a chunk scorer alone and two side by side ({count} chunks of {size:,} runners, {kind}) =="
    )
    print("   each process scores the same chunks, set up as a worker of `shoefit score`; alone and two at once")
    print(f"   alternate, {rounds} rounds; gain = the work per second two give against one alone (2.00x: linear)")
    for label, work, args in (("chunk scorer", "score", (str(source), kind, top, size, count)),
                              ("Python loop", "spin", ())):  # fmt: skip
        alone, slower, gains = [], [], []
        for _ in range(rounds):
            alone.append(side_by_side(work, 1, args)[0])
            slower.append(max(side_by_side(work, 2, args)))
            gains.append(2 * alone[-1] / slower[-1])
        print(
            f"   {label:<13} alone {statistics.median(alone):6.2f} s, two at once {statistics.median(slower):6.2f} s "
            f"(the slower): gain {statistics.median(gains):.2f}x (rounds: {', '.join(f'{g:.2f}' for g in gains)})"
        )
