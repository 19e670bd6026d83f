"""Batch scoring on a Dask cluster, for inputs one machine cannot score in time.

The same contract and the same Picks as BatchEngine.score_stream: every task scores
exactly one of the local engine's chunks with a BatchEngine. Each worker builds that
engine once, from a worker plugin carrying the catalog's bytes, so tasks ship only
profiles out and Picks back.

Only this module needs dask: import it only when the Dask engine is asked for.
"""

import collections
import importlib.metadata
import itertools
import uuid
from pathlib import Path

from .batch import BatchEngine
from .catalog import Catalog, CatalogError, Problem, bundled_catalog_path
from .recommender import check_brands
from .rules import KnowledgeBase

try:
    from distributed import Client, LocalCluster, WorkerPlugin, get_worker
except ImportError as exc:
    raise ImportError(f"the Dask engine needs dask.distributed ({exc}): pip install 'shoefit[dask]'") from exc

# Engines built in this process, by catalog version: lets tests check that a worker
# parses a catalog once, however many tasks it runs.
BUILDS = collections.Counter()


class _EnginePlugin(WorkerPlugin):
    """Builds one BatchEngine per worker process; new and restarted workers get it too.

    A plugin rather than scattered bytes: the scheduler's memory manager drops extra
    replicas of scattered data, and workers would then fetch the catalog again.
    """

    def __init__(self, catalog_bytes, catalog_name, rules_text, rules_name, top):
        self.catalog_bytes, self.catalog_name = catalog_bytes, catalog_name
        self.rules_text, self.rules_name = rules_text, rules_name
        self.top = top
        self.version = _shoefit_version()

    def setup(self, worker):
        # Other scoring code or bundled rules would give other Picks, silently.
        if (here := _shoefit_version()) != self.version:
            raise RuntimeError(f"worker runs shoefit {here}, the caller {self.version}: install the same version")
        catalog = Catalog.from_bytes(self.catalog_bytes, self.catalog_name)
        if self.rules_text is None:
            knowledge = KnowledgeBase.load()
        else:
            # The text travels with the plugin: a worker need not see the caller's files.
            knowledge = KnowledgeBase.from_text(self.rules_text, self.rules_name)
        self.engine = BatchEngine(catalog, knowledge, self.top)
        BUILDS[catalog.version] += 1


def _score_chunk(plugin_name, profiles):
    return get_worker().plugins[plugin_name].engine.score(profiles)


class DaskEngine:
    """BatchEngine's score_stream on a Dask cluster; use as a context manager.

    `catalog`: CSV bytes, a path, or None for the bundled catalog. `scheduler`: the
    address of a running scheduler, or None to start a LocalCluster (with
    `cluster_options`) that close() stops. `max_in_flight` chunks are scored at a
    time (default: twice the cluster's threads), which bounds memory on both sides.
    """

    def __init__(self, catalog=None, top=10, scheduler=None, rules_path=None, max_in_flight=None, **cluster_options):
        if scheduler is not None and cluster_options:
            raise TypeError(f"cluster options {sorted(cluster_options)} only apply without a scheduler address")
        data, name = _read_catalog(catalog)
        # Invalid inputs fail here, with every problem listed, rather than on the workers.
        self.catalog = Catalog.from_bytes(data, name)
        rules_text = None
        if rules_path is not None:
            KnowledgeBase.load(rules_path)
            rules_text = Path(rules_path).read_text("utf-8")
        self.top = top
        self.max_in_flight = max_in_flight
        # One name per engine: engines sharing a cluster must not replace or remove each other's plugin.
        self._plugin = f"shoefit-{self.catalog.version}-{uuid.uuid4().hex[:12]}"
        self._cluster = self.client = None
        try:
            if scheduler is None:
                self._cluster = LocalCluster(**cluster_options)
            self.client = Client(self._cluster if scheduler is None else scheduler)
            self.client.register_plugin(_EnginePlugin(data, name, rules_text, str(rules_path), top), name=self._plugin)
        except BaseException:
            self._disconnect()
            raise

    def check(self, profile):
        """Raise InvalidProfile if the profile asks for brands this catalog lacks."""
        check_brands(self.catalog, profile)

    def score(self, profiles):
        return [picks for _, picks in self.score_stream(enumerate(profiles))]

    def score_stream(self, records, chunk=4096):
        """(key, profile) pairs in, (key, Picks) out in the same order, `chunk` per task."""
        records = iter(records)
        window = self.max_in_flight or max(2, 2 * sum(self.client.nthreads().values()))
        pending = collections.deque()
        try:
            while True:
                while len(pending) < window and (batch := list(itertools.islice(records, chunk))):
                    keys, profiles = zip(*batch)
                    # pure=False: hashing thousands of profiles for a task key costs more than it saves.
                    pending.append((keys, self.client.submit(_score_chunk, self._plugin, profiles, pure=False)))
                if not pending:
                    return
                keys, future = pending.popleft()
                yield from zip(keys, future.result())
        finally:
            # On an error or an abandoned stream, the rest must not keep the cluster busy.
            # (An abandoned stream may be collected after close(), which dropped them already.)
            if pending and self.client is not None:
                self.client.cancel([future for _, future in pending])

    def close(self):
        if self.client is None:
            return
        try:
            if self._cluster is None:
                # A shared cluster outlives this engine: free the workers' copies.
                self.client.unregister_worker_plugin(self._plugin)
        finally:
            self._disconnect()

    def _disconnect(self):
        if self.client is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
        self.client = self._cluster = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _shoefit_version():
    return importlib.metadata.version("shoefit")


def _read_catalog(source):
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "<bytes>"
    path = bundled_catalog_path() if source is None else source
    try:
        return Path(path).read_bytes(), str(path)
    except OSError as exc:
        # The error Catalog.load gives, so callers handle one exception for both engines.
        raise CatalogError([Problem(str(path), 0, None, None, f"cannot read: {exc.strerror}")]) from None
