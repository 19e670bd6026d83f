"""A worker's encoded chunk handed to the writing process as a file beside the output, not through the result pipe.

Through the pipe, a chunk of CSV rows (some 10 MB) is pickled, copied into the kernel 64 KB at a time, read back,
unpickled and written: a tenth of the whole run's CPU, most of it in the one process that also reads the input.
As a file, the worker writes it once and the writer has the kernel copy it onto the end of the output
(copy_file_range, within one file system: the spool folder lies beside the output). A chunk of rows for a
Parquet file, which only its one writer can encode, goes as an Arrow IPC file the writer maps into memory.
Anything that stops a spooled chunk (a full disk, say) sends it through the pipe as before.
"""

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa


@dataclass(frozen=True)
class Spooled:
    path: str
    size: int


@contextlib.contextmanager
def spool_folder(output_path):
    """A hidden folder beside `output_path` for the chunks in flight, removed with whatever is left in it."""
    output = Path(output_path)
    with tempfile.TemporaryDirectory(prefix=f".{output.name}.chunks-", dir=output.parent) as folder:
        yield folder


def spooled(payload, folder, name):
    """`payload` (bytes, a pyarrow Buffer or a RecordBatch) written to `folder`/`name`: a Spooled, or the payload
    itself if it cannot be written there."""
    path = os.path.join(folder, name)
    try:
        with open(path, "xb") as fh:
            if isinstance(payload, pa.RecordBatch):
                with pa.ipc.new_file(fh, payload.schema) as ipc:
                    ipc.write_batch(payload)
            else:
                fh.write(payload)
            size = fh.tell()
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(path)
        return payload
    return Spooled(path, size)


@contextlib.contextmanager
def batch_of(chunk):
    """The RecordBatch a Spooled chunk holds, read in place (memory-mapped); the file is deleted after."""
    try:
        with pa.memory_map(chunk.path) as source:
            yield pa.ipc.open_file(source).get_batch(0)
    finally:
        os.unlink(chunk.path)


def append(fh, chunk):
    """Copy a Spooled chunk onto the end of what has been written to `fh` (a binary file), then delete it."""
    fh.flush()
    with open(chunk.path, "rb") as source:
        left = chunk.size
        copy = getattr(os, "copy_file_range", None)  # Linux only
        with contextlib.suppress(OSError):  # not between these files, or not on this kernel
            while left and copy is not None:
                copied = copy(source.fileno(), fh.fileno(), left)
                if not copied:
                    break
                left -= copied
        # The kernel moved the file's offset behind the buffered writer's back: let it read the offset again.
        fh.seek(0, os.SEEK_END)
        if left:
            source.seek(chunk.size - left)
            shutil.copyfileobj(source, fh)
    os.unlink(chunk.path)
