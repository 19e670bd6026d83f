"""gunicorn settings for shoefit: `gunicorn -c gunicorn.conf.py wsgi:app` (what `make run` does).

SHOEFIT_BIND and SHOEFIT_WORKERS override the address and the number of workers; gunicorn's own command-line
options override anything here. Every other setting is the app's SHOEFIT_* environment (see the README).
"""

import os

MOST_WORKERS = 16
DEFAULT_THREADS = 8


def _cores():
    # The cores this process may run on (a container's CPU set), not every core of the host.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _workers():
    raw = os.environ.get("SHOEFIT_WORKERS", "").strip()
    if not raw:
        # Workers are CPU-bound (scoring) with short waits on the database: gunicorn's 2 x cores + 1, capped so a
        # large host does not hold a catalog and its caches in dozens of processes.
        return min(2 * _cores() + 1, MOST_WORKERS)
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"shoefit: not starting: SHOEFIT_WORKERS={raw!r}: expected a whole number of at least 1")
    return int(raw)


def _threads():
    raw = os.environ.get("SHOEFIT_THREADS", "").strip()
    if not raw:
        return DEFAULT_THREADS
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"shoefit: not starting: SHOEFIT_THREADS={raw!r}: expected a whole number of at least 1")
    return int(raw)


bind = os.environ.get("SHOEFIT_BIND", "127.0.0.1:8000")
workers = _workers()
# Threads, not one request per process: a request waiting on a slow client or a slow database holds one thread,
# and /healthz and recommendations go on being answered by the others. Scoring is CPU work under one GIL per
# worker, so the workers give the parallelism and the threads the patience. A worker whose threads are all busy
# stops taking connections, so they go to one that can answer (shoefit/web/thread_worker.py).
worker_class = "shoefit.web.thread_worker.FreeThreadWorker"
threads = _threads()
# The catalog and rules are parsed and checked once, in the master, before forking; a bad catalog stops start-up
# instead of failing in every worker. (The fittings store drops inherited connections in each worker.)
preload_app = True
# A single recommendation takes milliseconds and a full batch well under a second: 30 s means a stuck worker.
timeout = 30
# On SIGTERM (a deploy), requests in flight get this long to finish.
graceful_timeout = 30
# Seconds an idle client connection stays open, for worker classes that keep connections alive.
keepalive = 5
# The app writes its own access line (JSON, with the request id); gunicorn's would be a second, different one.
accesslog = None
errorlog = "-"
# Worker heartbeats are file writes every few seconds: in memory they cannot stall on a slow or full disk.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"


def on_starting(server):
    # In the master, before forking: every worker answers gunicorn's own 400/414/431 as problem+json.
    from shoefit.web import server_errors

    server_errors.install()


def nworkers_changed(server, new_value, old_value):
    # Called before the app is loaded, with the count the command line may have changed: rate limits kept in each
    # worker's memory then say at start-up what they add up to (shoefit/web/limits.py).
    from shoefit.web import limits

    limits.serving["workers"] = new_value


def post_worker_init(worker):
    # A worker forked after a catalog upload (one gunicorn replaced, say) starts from the catalog in force, the one the
    # instance folder's pointer names, not the one the master loaded at start-up; it loads it before its first request.
    from shoefit.web.context import catalog_holder

    catalog_holder(worker.wsgi).catch_up()
