"""The catalog being served and everything built on it, replaced whole while the service runs.

A request takes the `Served` in force once, at its start (flask.g), so a request in flight
finishes on the catalog it began with whatever is swapped meanwhile. Workers agree through
the instance folder: an accepted catalog is written there as catalog-<version>.csv and the
pointer file catalog.current names it; each worker looks at the pointer at most once a
second and follows it. At start-up the pointer, when there is one, wins over
SHOEFIT_CATALOG, so an uploaded catalog survives a restart.
"""

import logging
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import flask

from .batch import BatchEngine
from .catalog import Catalog, CatalogError, Problem, bundled_catalog_path
from .recommender import Recommender
from .vocabulary import LIMIT_MAX

POINTER = "catalog.current"
CATALOG_FILE = re.compile(r"catalog-[0-9a-f]{16}\.csv")
CHECK_SECONDS = 1.0
EXTENSION = "shoefit.served"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    catalog: Catalog
    recommender: Recommender
    batch: BatchEngine

    def info(self):
        return {"version": self.catalog.version, "size": len(self.catalog), "brands": len(self.catalog.brands)}


class ServedCatalog:
    """Holds the Served in force (`current`); swaps it for an uploaded, reloaded or pointed-to catalog."""

    def __init__(self, folder, configured, knowledge, memo_size):
        self.folder = Path(folder)
        self.pointer = self.folder / POINTER
        self.configured = configured
        self.knowledge = knowledge
        self.memo_size = memo_size
        self.interval = CHECK_SECONDS
        self.on_swap = None
        # Held while the files or `current` change; a request that finds it taken serves what is in force.
        self._lock = threading.Lock()
        self._seen = _signature(self.pointer)
        self.current = self._build(self._first_catalog())
        self._checked = time.monotonic()

    def serving(self):
        """The Served in force, after following the pointer if another worker moved it (checked once a second)."""
        if time.monotonic() - self._checked >= self.interval and self._lock.acquire(blocking=False):
            try:
                self._checked = time.monotonic()
                self._follow_pointer()
            finally:
                self._lock.release()
        return self.current

    def upload(self, data, name):
        """Validate the CSV `data` in full, then make it the catalog of every worker: (previous, now) Served.

        Raises CatalogError listing every problem, and then nothing has changed.
        """
        catalog = Catalog.from_bytes(data, name)
        fresh = None if catalog.version == self.current.catalog.version else self._build(catalog)
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            file_name = catalog_file(catalog.version)
            _write_atomically(self.folder / file_name, data)
            # The pointer goes last: another worker that sees it finds the catalog file complete.
            self._seen = _write_atomically(self.pointer, f"{file_name}\n".encode())
            previous = self.current
            if previous.catalog.version != catalog.version:
                self._swap(fresh or self._build(catalog))
            return previous, self.current

    def reload(self):
        """Re-read the configured catalog (SHOEFIT_CATALOG or the bundled one) and serve it as upload() does."""
        path = bundled_catalog_path() if self.configured is None else self.configured
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise CatalogError([Problem(str(path), 0, None, None, f"cannot read: {exc.strerror}")]) from None
        return self.upload(data, str(path))

    def _first_catalog(self):
        if self._seen is None:
            return Catalog.load(self.configured)
        try:
            catalog = Catalog.load(self.folder / self._pointed_file())
        except CatalogError as exc:
            way_out = "names the catalog to serve; fix that catalog, or delete this file to serve SHOEFIT_CATALOG"
            raise CatalogError([*exc.problems, Problem(str(self.pointer), 1, None, None, way_out)]) from None
        log.info("serving catalog %s named by %s; SHOEFIT_CATALOG is only the fallback", catalog.version, self.pointer)
        return catalog

    def _follow_pointer(self):
        try:
            seen = _signature(self.pointer)
            if seen is None or seen == self._seen:
                return
            self._seen = seen
            file_name = self._pointed_file()
            if file_name == catalog_file(self.current.catalog.version):
                return
            catalog = Catalog.load(self.folder / file_name)
        except (CatalogError, OSError) as exc:
            log.error(
                "%s: cannot follow; still serving catalog %s: %s", self.pointer, self.current.catalog.version, exc
            )
            return
        self._swap(self._build(catalog))

    def _pointed_file(self):
        name = self.pointer.read_text(encoding="utf-8", errors="replace").strip()
        if not CATALOG_FILE.fullmatch(name):
            raise CatalogError([Problem(str(self.pointer), 1, None, name, "must name a catalog-<version>.csv file")])
        return name

    def _build(self, catalog):
        return Served(
            catalog,
            Recommender(catalog, self.knowledge, self.memo_size),
            BatchEngine(catalog, self.knowledge, top=LIMIT_MAX),
        )

    def _swap(self, served):
        log.warning("catalog %s replaced by %s", self.current.catalog.version, served.catalog.version)
        self.current = served
        if self.on_swap is not None:
            self.on_swap(served)


def catalog_file(version):
    return f"catalog-{version}.csv"


def install(app, holder):
    """Serve `holder`'s catalog: each request takes it once, into flask.g.served."""
    app.extensions[EXTENSION] = holder

    def mirror(served):
        # Kept current for code outside requests (tools, tests); requests read flask.g.served.
        app.extensions["shoefit"] = served.recommender

    holder.on_swap = mirror
    mirror(holder.current)

    @app.before_request
    def take_served_catalog():
        flask.g.served = holder.serving()


def holder():
    return flask.current_app.extensions[EXTENSION]


def _signature(path):
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return _identity(stat)


def _identity(stat):
    # Every write replaces the file with a new one, so its inode tells writes apart even within one mtime tick.
    return (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _write_atomically(path, data):
    """Write `data` to `path` by renaming a complete temporary file over it; return the file's identity."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            identity = _identity(os.fstat(fh.fileno()))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return identity
