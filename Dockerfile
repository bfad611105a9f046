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

# Dependencies first (their layer survives code changes), every one pinned by hash.
COPY requirements/main.txt requirements/main.txt
RUN python -m pip install --require-hashes -r requirements/main.txt

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
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; from search.settings import value; urllib.request.urlopen('http://127.0.0.1:' + value('NEWSEARCH_BIND').rsplit(':', 1)[1] + '/health', timeout=4)"

# With NEWSEARCH_CORPUS set (a mounted directory), index it incrementally before serving.
CMD ["sh", "-c", "if [ -n \"$NEWSEARCH_CORPUS\" ]; then newsearch index --index \"$NEWSEARCH_INDEX\" \"$NEWSEARCH_CORPUS\" || exit 1; fi; exec gunicorn -c api/gunicorn.conf.py api.wsgi:app"]
