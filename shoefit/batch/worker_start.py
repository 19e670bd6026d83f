"""Where the batch's worker processes come from: forked from a server process that has imported the scorer once.

Not forked from the caller, which may hold threads (pyarrow's, tqdm's); not spawned either, which would import
numpy, pyarrow and the scorer afresh in every worker (half a second of CPU each). This module imports none of
them, so that the CLI can start the server before its own imports and the two import side by side.
"""

import multiprocessing

WORKER_MODULE = "shoefit.batch.workers"  # what the server imports, once, for every worker forked from it


def worker_context():
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([WORKER_MODULE])
    return context


def start_early():
    """Start the server now rather than at the first chunk: its imports then run beside the caller's."""
    if worker_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
