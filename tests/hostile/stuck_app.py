"""A WSGI app with a request that never finishes, for tests/hostile/test_worker_timeout.py: gunicorn
(with our api/gunicorn.conf.py) must kill the worker and still answer problem+json. A stand-in for
any request that outruns gunicorn's timeout; our own searches stop at NEWSEARCH_SEARCH_TIMEOUT."""
import time


def app(environ, start_response):
    if environ["PATH_INFO"] == "/stuck":
        while True:  # Python code, as a search is: the worker takes SIGABRT between bytecodes
            time.sleep(0.05)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
