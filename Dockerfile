# lernnetz API image (see docker-compose.yml and the README section "Run on Neo4j").
#   docker build -t lernnetz .
#   docker run --rm -p 127.0.0.1:8000:8000 lernnetz        # embedded store; see compose for Neo4j
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LERNNETZ_DATA_DIR=/var/lib/lernnetz \
    LERNNETZ_CURATED_DIR=/app/data

WORKDIR /app

# Dependencies first (cached layer), then the code.
COPY pyproject.toml README.md ./
COPY graph ./graph
COPY api ./api
COPY loaders ./loaders
COPY lernnetz ./lernnetz
RUN pip install . \
    && useradd --system --create-home --home-dir /home/lernnetz lernnetz \
    && mkdir -p /var/lib/lernnetz \
    && chown lernnetz /var/lib/lernnetz

# The curated programme data (projects, territories, topics, events) read by `lernnetz load`.
COPY data ./data

USER lernnetz
VOLUME ["/var/lib/lernnetz"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"

CMD ["lernnetz", "serve", "--host", "0.0.0.0", "--port", "8000"]
