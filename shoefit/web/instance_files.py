"""Files in the instance folder that the workers read: written whole, and told apart by their identity.

The served catalog and the weights overlay are shared this way (served_catalog.py, served_weights.py): one
worker writes, the others notice that a pointer file is another file than the one they last saw.
"""

import os

from ..core.atomic_file import atomic_file


def signature(path):
    """What tells this version of `path` from any other, or None when there is no such file."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return _identity(stat)


def _identity(stat):
    # Every write replaces the file with a new one, so its inode tells writes apart even within one mtime tick.
    return (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)


def write(path, data):
    """Write `data` to `path` atomically; the signature of the file written, as signature() will see it."""
    with atomic_file(path) as fh:
        fh.write(data)
        fh.flush()
        identity = _identity(os.fstat(fh.fileno()))
    return identity
