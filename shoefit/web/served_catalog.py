"""The served catalog, and the holder that replaces it whole while the service runs.

A ServedCatalog is a catalog and everything built on it (the recommender, the batch engine). A
request takes the one in force once, at its start (context.py), so a request in flight finishes on
the catalog it began with whatever is swapped meanwhile. Workers agree through the instance folder:
an accepted catalog is written there as catalog-<version>.csv, beside it as built (catalog-<version>.npz,
core/catalog_built.py), and the pointer file catalog.current names it; each worker's CatalogHolder
looks at the pointer at most once a second and follows it. The worker that accepted an upload is the
only one that validates and builds it: the others load the built file, a big one in a background
thread while their requests go on being answered from the catalog in force, and swap when it is
ready. A worker forked later catches up before its first request (catch_up, gunicorn.conf.py). At
start-up the pointer, when there is one, wins over SHOEFIT_CATALOG, so an uploaded catalog survives a
restart.
"""

import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..batch.engine import BatchEngine, paused_gc
from ..core import catalog_built
from ..core.catalog import Catalog, bundled_catalog_path
from ..core.catalog_csv import CatalogError, CatalogProblem, read_bytes
from ..core.recommender import Recommender
from ..core.vocabulary import LIMIT_MAX
from ..core.weights_overlay import WeightsError
from .instance_files import signature, write
from .served_weights import WeightsPointer

POINTER = "catalog.current"
CATALOG_FILE = re.compile(r"catalog-[0-9a-f]{16}\.csv")
CHECK_SECONDS = 1.0
# A catalog file up to this size (about 1,800 shoes) loads in milliseconds, so the request that finds the pointer
# moved loads it itself and answers from it; a bigger one is loaded in a background thread.
INLINE_BYTES = 256 * 1024

# The name operators' logging configurations know this module's lines by.
log = logging.getLogger("shoefit.served")


@dataclass(frozen=True)
class ServedCatalog:
    catalog: Catalog
    recommender: Recommender
    engine: BatchEngine

    def info(self):
        return {"version": self.catalog.version, "size": len(self.catalog), "brands": len(self.catalog.brands)}


class CatalogHolder:
    """Holds the ServedCatalog in force; swaps it for an uploaded, reloaded or pointed-to catalog."""

    def __init__(self, folder, configured, knowledge, memo_size, weights=None):
        self.folder = Path(folder)
        self.pointer = self.folder / POINTER
        self.configured = configured
        # SHOEFIT_WEIGHTS, checked whole here: a bad overlay stops start-up as a bad catalog does.
        self.weights = WeightsPointer(self.folder, weights)
        overlay, text = self.weights.read_configured()
        self.knowledge = knowledge.with_overlay(overlay)
        self._weights_seen = self.weights.publish(text)
        self.memo_size = memo_size
        self.interval = CHECK_SECONDS
        # Held while the files or the catalog in force change; a request that finds it taken serves what is in force.
        self._lock = threading.Lock()
        self._loading = None  # the thread loading a catalog the pointer names, while one does
        self._seen = signature(self.pointer)
        self._in_force = self._serve(self._first_catalog())
        self._checked = time.monotonic()

    def served_catalog(self):
        """The ServedCatalog in force, once it has looked whether another worker moved the pointer (once a second)."""
        if time.monotonic() - self._checked >= self.interval and self._lock.acquire(blocking=False):
            try:
                self._checked = time.monotonic()
                self._follow_pointer()
            finally:
                self._lock.release()
        return self._in_force

    def upload(self, data, name, weights=None):
        """Validate the CSV `data` in full, then make it the catalog of every worker: (previous, now) ServedCatalog.

        `weights`: (overlay, its text) to serve with it, from reload(); None keeps the overlay in force.
        Raises CatalogError listing every problem, and then nothing has changed.
        """
        with paused_gc():
            catalog = Catalog.from_bytes(data, name)
        knowledge = self.knowledge
        if weights is not None and weights[0] != knowledge.overlay:
            knowledge = knowledge.with_overlay(weights[0])
        in_force = self._in_force
        unchanged = catalog.version == in_force.catalog.version and knowledge is in_force.recommender.knowledge
        fresh = None if unchanged else self._serve(catalog, knowledge)
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            file_name = catalog_file(catalog.version)
            write(self.folder / file_name, data)
            catalog_built.save(catalog, _built(self.folder / file_name))
            # The pointer goes last: another worker that sees it finds the catalog file complete.
            self._seen = write(self.pointer, f"{file_name}\n".encode())
            if knowledge is not self.knowledge:
                self._weights_seen = self.weights.publish(weights[1])
                self.knowledge = knowledge
            previous = self._in_force
            if previous.catalog.version != catalog.version or previous.recommender.knowledge is not knowledge:
                self._swap(fresh or self._serve(catalog))
            return previous, self._in_force

    def reload(self):
        """Re-read the configured catalog (SHOEFIT_CATALOG or the bundled one) and weights overlay (SHOEFIT_WEIGHTS),
        and serve them as upload() does. CatalogError or WeightsError, and then nothing has changed."""
        weights = self.weights.read_configured()
        path = bundled_catalog_path() if self.configured is None else self.configured
        return self.upload(read_bytes(path), str(path), weights)

    def catch_up(self):
        """Serve the catalog the pointer names now, however big: a worker forked after an upload, before it serves."""
        with self._lock:
            self._checked = time.monotonic()
            self._follow_pointer(inline=True)

    def _first_catalog(self):
        if self._seen is None:
            return Catalog.load(self.configured)
        try:
            catalog = self._load(self._pointed_file())
        except CatalogError as exc:
            way_out = "names the catalog to serve; fix that catalog, or delete this file to serve SHOEFIT_CATALOG"
            raise CatalogError([*exc.problems, CatalogProblem(str(self.pointer), 1, None, None, way_out)]) from None
        log.info("serving catalog %s named by %s; SHOEFIT_CATALOG is only the fallback", catalog.version, self.pointer)
        return catalog

    def _follow_pointer(self, inline=False):
        self._follow_weights()
        # While a catalog loads, a newer pointer waits: it is seen at the first look after that load.
        if self._loading is not None and self._loading.is_alive():
            return
        try:
            seen = signature(self.pointer)
            if seen is None or seen == self._seen:
                return
            self._seen = seen
            file_name = self._pointed_file()
            if file_name == catalog_file(self._in_force.catalog.version):
                return
            if not inline and os.stat(self.folder / file_name).st_size > INLINE_BYTES:
                self._loading = threading.Thread(target=self._load_and_swap, args=(file_name, seen), daemon=True)
                self._loading.start()
                return
            catalog = self._load(file_name)
        except (CatalogError, OSError) as exc:
            self._cannot_follow(exc)
            return
        self._swap(self._serve(catalog))

    def _follow_weights(self):
        seen = self.weights.signature()
        if seen == self._weights_seen:
            return
        self._weights_seen = seen
        try:
            overlay = self.weights.pointed()
        except (WeightsError, OSError) as exc:
            log.error("%s: cannot follow; still serving with the overlay in force: %s", self.weights.pointer, exc)
            return
        if overlay != self.knowledge.overlay:
            self.knowledge = self.knowledge.with_overlay(overlay)
            log.warning("weights overlay now %s", overlay.version if overlay else "none")
            self._swap(self._serve(self._in_force.catalog))

    def _load_and_swap(self, file_name, seen):
        start = time.monotonic()
        try:
            served = self._serve(self._load(file_name))
        except (CatalogError, OSError) as exc:
            self._cannot_follow(exc)
            return
        with self._lock:
            # An upload to this worker meanwhile moved the pointer itself, and is what serves now.
            if self._seen == seen:
                seconds = time.monotonic() - start
                log.info("catalog %s loaded in %.2f s in the background", served.catalog.version, seconds)
                self._swap(served)

    def _load(self, file_name):
        """The catalog `file_name` in the folder: from its built file, or, without a usable one, its CSV validated."""
        path = self.folder / file_name
        # Hundreds of thousands of new objects and no cycles: collections would walk them over and over, doubling the
        # time, for nothing to free.
        with paused_gc():
            if _built(path).exists():
                try:
                    return catalog_built.load(_built(path), file_name[len("catalog-") : -len(".csv")], str(path))
                except CatalogError as exc:
                    log.warning("%s; validating %s instead", exc.problems[0], path)
            return Catalog.load(path)

    def _cannot_follow(self, exc):
        log.error("%s: cannot follow; still serving catalog %s: %s", self.pointer, self._in_force.catalog.version, exc)

    def _pointed_file(self):
        name = self.pointer.read_text(encoding="utf-8", errors="replace").strip()
        if not CATALOG_FILE.fullmatch(name):
            problem = CatalogProblem(str(self.pointer), 1, None, name, "must name a catalog-<version>.csv file")
            raise CatalogError([problem])
        return name

    def _serve(self, catalog, knowledge=None):
        knowledge = self.knowledge if knowledge is None else knowledge
        return ServedCatalog(
            catalog,
            Recommender(catalog, knowledge, self.memo_size),
            BatchEngine(catalog, knowledge, top=LIMIT_MAX),
        )

    def _swap(self, served):
        log.warning("catalog %s replaced by %s", self._in_force.catalog.version, served.catalog.version)
        self._in_force = served


def catalog_file(version):
    return f"catalog-{version}.csv"


def _built(csv_path):
    return csv_path.with_suffix(".npz")
