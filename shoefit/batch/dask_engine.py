"""Batch scoring on a Dask cluster, for inputs one machine cannot score in time.

Workers is a client on a cluster where each worker builds one object, once, from a
plugin carrying the catalog's bytes and the rules' text; tasks hand it one item each
and their results come back in input order. DaskEngine gives each worker a
BatchEngine: score_stream, with the same Picks as the local engine. `shoefit score
--engine dask` gives each a ChunkScorer (scored_on_dask), so tasks ship a chunk's
rows out and its encoded output back.

Only this module needs dask: import it only when the Dask engine is asked for.
"""

import collections
import contextlib
import functools
import importlib.metadata
import itertools
import signal
import threading
import uuid

from .chunk_scorer import ChunkScorer
from .engine import BatchEngine
from .formats import InputError
from .sources import Sources
from .workers import in_order

try:
    from distributed import Client, LocalCluster, WorkerPlugin, get_worker
except ImportError as exc:
    raise ImportError(f"the Dask engine needs dask.distributed ({exc}): pip install 'shoefit[dask]'") from exc

# Objects built in this process, by catalog version: lets tests check that a worker
# parses a catalog once, however many tasks it runs.
BUILDS = collections.Counter()
# Seconds a scheduler has to answer: a wrong address fails the run rather than hanging it.
CONNECT_TIMEOUT = 10


class ClusterError(InputError):
    """The cluster cannot score: no scheduler answers, or a worker cannot set up shoefit."""


class _PerWorker(WorkerPlugin):
    """Builds one object per worker process, `build(catalog, knowledge)`; new and restarted workers get it too.

    A plugin rather than scattered bytes: the scheduler's memory manager drops extra
    replicas of scattered data, and workers would then fetch the catalog again.
    """

    def __init__(self, sources, build, local=False):
        self.sources = sources
        self.build = build
        self.local = local  # the worker belongs to a LocalCluster the caller started, in its process group
        self.version = _shoefit_version()

    def setup(self, worker):
        # Other scoring code or bundled rules would give other Picks, silently.
        if (here := _shoefit_version()) != self.version:
            raise ClusterError(
                f"the Dask worker {worker.address} runs shoefit {here}, this machine {self.version}: "
                "install the same version on every worker"
            )
        if self.local and threading.current_thread() is threading.main_thread():
            # Ctrl-C reaches the caller's whole process group: the caller decides, and stops the cluster.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        catalog, knowledge = self.sources.load()
        self.built = self.build(catalog, knowledge)
        BUILDS[catalog.version] += 1


def _call(plugin_name, func, item):
    return func(get_worker().plugins[plugin_name].built, item)


class Workers:
    """Dask workers that each hold one object built from `sources`; use as a context manager.

    `scheduler`: the address of a running scheduler, or None to start a
    LocalCluster (with `cluster_options`) that close() stops.
    """

    def __init__(self, sources, build, scheduler=None, **cluster_options):
        if scheduler is not None and cluster_options:
            raise TypeError(f"cluster options {sorted(cluster_options)} only apply without a scheduler address")
        # One name per use: runs sharing a cluster must not replace or remove each other's plugin.
        self._plugin = f"shoefit-{uuid.uuid4().hex[:12]}"
        self._cluster = self.client = None
        try:
            if scheduler is None:
                self._cluster = LocalCluster(**cluster_options)
            self.client = _connect(self._cluster if scheduler is None else scheduler)
            _register(self.client, _PerWorker(sources, build, local=scheduler is None), self._plugin)
        except BaseException:
            self._close_after_error()  # also a plugin that failed to set up, or new workers would try it again
            raise

    def map(self, func, items, window=None):
        """func(a worker's object, item) for each item, results in input order; see workers.in_order.

        At most `window` items are in flight (default: twice the cluster's threads),
        which bounds memory on both sides.
        """
        window = window or max(2, 2 * sum(self.client.nthreads().values()))
        # pure=False: hashing thousands of rows for a task key costs more than it saves.
        submit = functools.partial(self.client.submit, _call, self._plugin, func, pure=False)
        return in_order(submit, items, window, cancel=self._cancel)

    def _cancel(self, futures):
        # The rest must not keep the cluster busy. (An abandoned generator may be
        # collected after close(), which dropped them already.)
        if self.client is not None:
            self.client.cancel(futures)

    def close(self):
        try:
            if self.client is not None and self._cluster is None:
                # A shared cluster outlives this use: free the workers' copies.
                self.client.unregister_worker_plugin(self._plugin)
        finally:
            self._disconnect()

    def _close_after_error(self):
        # The error says more than a failed clean-up (say, of a plugin never registered) would.
        with contextlib.suppress(Exception):
            self.close()

    def _disconnect(self):
        if self.client is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
        self.client = self._cluster = None

    def __enter__(self):
        return self

    def __exit__(self, kind, *exc_info):
        if kind is None:
            self.close()
        else:
            self._close_after_error()


def _connect(target):
    try:
        return Client(target, timeout=CONNECT_TIMEOUT)
    except (OSError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {target}: {exc}") from None


def _register(client, plugin, name):
    try:
        client.register_plugin(plugin, name=name)
    except ClusterError:
        raise
    except Exception as exc:
        # Typically a worker without shoefit, or with another version, that cannot unpickle the plugin.
        raise ClusterError(
            f"a Dask worker could not set up shoefit ({type(exc).__name__}: {exc}): "
            f"install shoefit {plugin.version} on every worker"
        ) from exc


class DaskEngine(Workers):
    """BatchEngine's score_stream on a Dask cluster; use as a context manager.

    `catalog`: CSV bytes, a path, or None for the bundled catalog. `scheduler` and
    `cluster_options` as for Workers. `max_in_flight` chunks are scored at a time
    (default: twice the cluster's threads).
    """

    def __init__(self, catalog=None, top=10, scheduler=None, rules_path=None, max_in_flight=None, **cluster_options):
        sources = Sources.read(catalog, rules_path)
        # Invalid inputs fail here, with every problem listed, rather than on the workers.
        self.catalog, _ = sources.load()
        self.top = top
        self.max_in_flight = max_in_flight
        super().__init__(sources, functools.partial(BatchEngine, top=top), scheduler, **cluster_options)

    def score(self, profiles):
        return [picks for _, picks in self.score_stream(enumerate(profiles))]

    def score_stream(self, records, chunk=4096):
        """(key, profile) pairs in, (key, Picks) out in the same order, `chunk` per task."""
        records = iter(records)
        batches = iter(lambda: list(itertools.islice(records, chunk)), [])
        for scored in self.map(_score_records, batches, self.max_in_flight):
            yield from scored


@contextlib.contextmanager
def scored_on_dask(sources, scheduler, job, chunks):
    """ChunkResults in input order, each chunk scored on a Dask worker by the ChunkScorer it built once."""
    with Workers(sources, functools.partial(ChunkScorer, job), scheduler) as workers:
        yield workers.map(ChunkScorer.__call__, chunks)


def _score_records(engine, records):
    keys, profiles = zip(*records)
    return list(zip(keys, engine.score(profiles)))


def _shoefit_version():
    return importlib.metadata.version("shoefit")
