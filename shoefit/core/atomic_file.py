"""The one way shoefit writes a file that others read: complete under its name, or not there at all."""

import contextlib
import os
import secrets
from pathlib import Path


@contextlib.contextmanager
def atomic_file(path):
    """A binary file that shows up under `path` only once complete.

    It is written beside `path` under a temporary name, flushed to disk and
    renamed over `path` when the block succeeds. On any exception (also
    KeyboardInterrupt, or SIGTERM turned into one) the temporary file is removed
    and whatever was at `path` is left as it was.
    """
    path = Path(path)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temp, "xb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    # The rename itself must reach the disk too, or a crash can bring back the old file.
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
