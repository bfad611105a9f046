"""The `newsearch` command line, above the three packages it drives: indexer, search and api.

Nothing below imports it: the indexer and the engine know no command line, and the API is started
by name (`api.wsgi:app`) under gunicorn.
"""
