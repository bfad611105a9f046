# newsearch: the API under gunicorn, serving an index of seeds/ built into the image, or of a corpus
# mounted at run time:
#   docker build -t newsearch .
#   docker run -p 8000:8000 -e NEWSEARCH_API_KEYS=change-me newsearch
#   docker run -p 8000:8000 -v /srv/news:/corpus:ro -v newsearch-index:/data -e NEWSEARCH_CORPUS=/corpus newsearch
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first (their layer survives code changes), every one pinned by hash, pip included.
COPY requirements/pip.txt requirements/main.txt requirements/
RUN python -m pip install --require-hashes -r requirements/pip.txt \
    && python -m pip install --require-hashes -r requirements/main.txt

# Then the project itself, without touching the dependencies.
COPY pyproject.toml setup.cfg README.md ./
COPY search/ search/
COPY indexer/ indexer/
COPY api/ api/
COPY cli/ cli/
COPY seeds/ seeds/
RUN python -m pip install --no-deps --no-build-isolation . \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin newsearch \
    && mkdir -p /data \
    && chown newsearch:newsearch /data

USER newsearch

ENV NEWSEARCH_INDEX=/data/index \
    NEWSEARCH_BIND=0.0.0.0:8000

# The sample corpus, indexed at build time so the image serves something on first start.
RUN newsearch index --index "$NEWSEARCH_INDEX" --workers 1 seeds/

EXPOSE 8000
# gunicorn runs one worker per CPU the container may use plus one: its CPU limit (`--cpus`, read from
# cgroup v2's cpu.max or v1's CFS quota by search/cores.py), not the host's core count.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; from search.settings import value; urllib.request.urlopen('http://127.0.0.1:' + value('NEWSEARCH_BIND').rsplit(':', 1)[1] + '/health', timeout=4)"

# With NEWSEARCH_CORPUS set (a mounted directory), it is indexed (incrementally) in the background
# while gunicorn already serves. Indexing first would keep /health down for as long as the corpus
# takes, which no start period can promise for a corpus of unknown size; serving first makes the
# 60 s start period true: the server answers from the index already in /data (the sample built into
# the image, or the previous run's) in seconds, and each commit of the indexer (every 5000 articles,
# or at its end) shows up in searches without a restart. On an empty bind mount there is no index
# until that first commit, and /health says 503 until then: use a named volume (it starts with the
# sample index) or index once before the first start. The indexer is niced so that searches come
# first, and writes its progress to the log every few seconds; if the container stops, the next
# start resumes it (only changed files are indexed again).
CMD ["sh", "-c", "if [ -n \"$NEWSEARCH_CORPUS\" ]; then nice -n 10 newsearch index --index \"$NEWSEARCH_INDEX\" \"$NEWSEARCH_CORPUS\" & fi; exec gunicorn -c api/gunicorn.conf.py api.wsgi:app"]
