"""gunicorn settings: `gunicorn -c api/gunicorn.conf.py api.wsgi:app` (what `newsearch serve` runs).

Environment: NEWSEARCH_BIND, NEWSEARCH_WORKERS, NEWSEARCH_THREADS, NEWSEARCH_CLIENT_TIMEOUT,
NEWSEARCH_TIMEOUT, NEWSEARCH_LOG_LEVEL and NEWSEARCH_METRICS, read
(and checked) through the settings table in search/settings.py, which has their defaults; the app's
own settings are in api/config.py, from the same table.
"""
import sys

from search.settings import SettingError, values

# A bad value stops the server here with one line naming the variable (the app's settings are
# checked too, before any worker starts: a short NEWSEARCH_KEY_SECRET, a '*' origin...).
try:
    _env = values("server")
    values("app")
except SettingError as _error:
    print(f"newsearch: {_error}", file=sys.stderr)
    raise SystemExit(2) from None

bind = _env["NEWSEARCH_BIND"]


# GET /metrics (api/metrics.py) sums the workers' counts with prometheus_client's multiprocess mode:
# each worker writes its own files in PROMETHEUS_MULTIPROC_DIR. The directory must be empty when the
# server starts (files left by another run would be counted again) and named before the app is
# imported (preload_app, below, imports it in this process, and prometheus_client picks its mode
# when imported): a fresh temporary directory made here, whatever the environment named, kept when a
# HUP reads this file again in the same master, removed when the master exits (also when the app
# fails to load, which skips on_exit; the workers, forked with the same exit handlers, leave it).
def _metrics_directory() -> str:
    import atexit
    import os
    import tempfile

    previous = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if previous and _made_by_this_master(previous):
        return previous
    path = tempfile.mkdtemp(prefix="newsearch-metrics-")
    with open(os.path.join(path, _OWNER), "w") as owner:  # not a .db file: never read as metrics
        owner.write(str(os.getpid()))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    atexit.register(_remove_metrics_directory, path)
    return path


def _remove_metrics_directory(path: str) -> None:
    import shutil

    if _made_by_this_master(path):
        shutil.rmtree(path, ignore_errors=True)


def _made_by_this_master(path: str) -> bool:
    import os

    try:
        with open(os.path.join(path, _OWNER)) as owner:
            return owner.read() == str(os.getpid())
    except OSError:
        return False


_OWNER = "newsearch-master.pid"
_metrics_dir = _metrics_directory() if _env["NEWSEARCH_METRICS"] else None

# Threaded workers (gthread), so that a slow client never holds a whole worker. With sync workers
# each connection owns its worker until the request is read and the answer written: 3 idle
# connections (or clients sending their headers a byte at a time, or never reading the answer)
# took all of them (issue 11). A gthread worker waits for idle connections in its event loop
# (after 5 s in a thread, gunicorn moves a connection that sent nothing back to the poller, and
# closes it after `keepalive`), and a client that trickles or does not read holds one thread of 32,
# not the process. bench/slowclients.py measures it: 50 such clients on the 135k-article index
# leave /health and searches under 100 ms (p95); with sync workers, nothing answered for 60 s.
# CPU work does not gain from the threads: the Whoosh backend lets one read at a time use its
# searcher (search/whoosh_backend/backend.py), so each process still computes one search at a time,
# one process per core as before; bench/http.py shows no loss in req/s (kept-alive connections,
# which sync workers close after every request, make up for the thread hand-off).
worker_class = "gthread"
workers = _env["NEWSEARCH_WORKERS"]  # default: cores + 1, the cores a container's CPU limit allows (search/cores.py)
threads = _env["NEWSEARCH_THREADS"]  # per worker: what slow clients can hold before requests queue
# Connections a worker keeps (in threads, kept alive, or waiting for their first byte) before it
# stops accepting and leaves new ones to the other workers.
worker_connections = 1000
# A client that stops reading its answer (or sending its body) gives up its thread after this long.
_client_timeout = _env["NEWSEARCH_CLIENT_TIMEOUT"]


def pre_request(worker, req):
    # The connection's socket: writing the whole answer (sendall, Python >= 3.5) and each read of
    # the body wait at most NEWSEARCH_CLIENT_TIMEOUT, so a client that never reads lets go.
    sock = getattr(req.unreader, "sock", None)
    if sock is not None:
        sock.settimeout(_client_timeout)


# A request that takes longer than this is a stuck worker: it is killed and replaced. Writes wait
# at most NEWSEARCH_WRITE_LOCK_TIMEOUT (10 s) for another writer, well inside it (30 s by default).
timeout = _env["NEWSEARCH_TIMEOUT"]
graceful_timeout = 30  # on HUP/TERM, finish in-flight requests for up to this long
keepalive = 5

# Recycle workers now and then (bounded memory growth); jitter keeps them from restarting together.
max_requests = 10000
max_requests_jitter = 1000

# Preload imports the app (Falcon, Whoosh, marshmallow) once in the master and shares the pages with
# the workers. It is safe because create_app() only constructs the Engine: the index and its
# searcher are opened lazily by the first request each worker serves, after the fork. The NER
# model loads lazily too, in the worker that first ingests raw text.
preload_app = True

# Let a long query (512 characters, percent-encoded) reach the app, which answers a proper 400.
limit_request_line = 8190

# gunicorn 27 sends `Server: gunicorn` on every response and has no setting to drop or change it;
# it carries no version, so it names the server but gives no version to match against advisories
# (tests/hostile/test_security.py checks that no version is sent). A proxy in front can strip it.

accesslog = "-"  # stdout
# %(L)s: request time in seconds. Path without the query string and no headers: no key ever reaches it.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
errorlog = "-"
loglevel = _env["NEWSEARCH_LOG_LEVEL"]
proc_name = "newsearch"


def post_worker_init(worker):
    # Remember the request each worker is computing, so that worker_abort below can answer it.
    from api.worker_timeout import InFlight, watch

    worker.wsgi = worker.inflight = InFlight(worker.wsgi)
    if worker.cfg.threads > 1:  # gthread: the master never stops a stuck request thread; watch them here
        watch(worker, worker.inflight, timeout)


def worker_abort(worker):
    # gunicorn kills a worker past `timeout` (SIGABRT): the client gets a 503 problem+json, not
    # gunicorn's HTML 500 (api/worker_timeout.py). Searches stop long before, at NEWSEARCH_SEARCH_TIMEOUT.
    from api.worker_timeout import answer_killed

    if answer_killed(getattr(worker, "inflight", None), timeout):
        worker.log.warning("worker %s ran past the %s s timeout: answered 503", worker.pid, timeout)


# The write journal's applier (api/applier.py): one niced process applies every worker's API
# writes, so that no worker computes a commit between its searches (search/whoosh_backend/applier.py
# says why and what it measured).
def when_ready(server):
    from api.applier import ApplierProcess
    from api.config import Config

    server.applier = ApplierProcess.for_location(Config.from_env().location)
    if server.applier is not None:
        server.applier.start()


def on_starting(server):
    if _metrics_dir:
        server.log.info("metrics: the workers' counts are summed from %s", _metrics_dir)


def child_exit(server, worker):
    # A worker exited (recycled after max_requests, killed, stopped): its counts stay in the
    # directory and keep counting; its share of the live gauges (requests in progress) goes.
    if _metrics_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, _metrics_dir)


def on_exit(server):
    applier = getattr(server, "applier", None)
    if applier is not None:
        applier.stop()


def post_fork(server, worker):
    # The master never opened the index (see preload_app); say so in the log for operators.
    server.log.debug("worker %s forked; it opens the index on its first request", worker.pid)


# gunicorn 27's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl): two
# servers on one machine (tests, a second index) would fight over it, and we do not use it.
control_socket_disable = True
