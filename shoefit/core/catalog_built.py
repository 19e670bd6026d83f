"""A validated catalog saved as built, so that another process gets it back without parsing or checking it again.

Reading and checking a 130,000-shoe CSV and working out its arrays takes seconds of CPU; loading this
file takes a fraction of that. It holds the shoes as they came out of validation (one JSON object a
line) and Catalog.built_arrays(), in an .npz archive read with allow_pickle=False: a damaged or
forged file can only fail to load (CatalogError), never run code. It is only as right as the
process that wrote it, so only the service's own instance folder holds one, written after the CSV
beside it was validated.
"""

import zipfile

import numpy as np
import orjson

from .atomic_file import atomic_file
from .catalog import BUILT, Catalog
from .catalog_csv import CatalogError, CatalogProblem

FORMAT = 1  # bumped whenever what a saved catalog holds changes: an older file is then built again from its CSV
# Each orjson call holds the GIL: a thread loading a saved catalog in the background lets the others run between
# lines of this many shoes (about 10 ms each). One call a shoe would be no faster, and leaves a large buffer a shoe.
SHOES_A_LINE = 1000


def save(catalog, path):
    """Write `catalog` to `path` atomically."""
    shoes = catalog.shoes
    # JSON arrays of SHOES_A_LINE shoes, one a line (JSON text has no raw line breaks).
    shoes = b"\n".join(orjson.dumps(shoes[i : i + SHOES_A_LINE]) for i in range(0, len(shoes), SHOES_A_LINE))
    meta = orjson.dumps({"format": FORMAT, "version": catalog.version, "size": len(catalog)})
    with atomic_file(path) as fh:
        np.savez(
            fh,
            meta=np.frombuffer(meta, dtype=np.uint8),
            shoes=np.frombuffer(shoes, dtype=np.uint8),
            **catalog.built_arrays(),
        )


def load(path, version, source):
    """The catalog saved at `path`, which must be `version`; CatalogError when it is not, or cannot be read."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta = orjson.loads(archive["meta"].tobytes())
            if meta != {"format": FORMAT, "version": version, "size": meta.get("size")}:
                raise ValueError(f"holds format {meta.get('format')} of catalog {meta.get('version')}")
            shoes = [shoe for line in archive["shoes"].tobytes().split(b"\n") for shoe in orjson.loads(line)]
            built = {name: archive[name] for name in BUILT}
        if len(shoes) != meta["size"] or any(len(array) != len(shoes) for array in built.values()):
            raise ValueError("its arrays and shoes do not match")
        return Catalog(shoes, version, source, built=built)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise CatalogError([CatalogProblem(str(path), 0, None, None, f"cannot load: {exc}")]) from None
