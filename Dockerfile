FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir .
# The embedded store keeps data in memory only: an image refuses it unless told
# SEG_ALLOW_EMBEDDED=1 (set SEG_MONGODB_URL, as docker-compose.yml does).
ENV SEG_HOST=0.0.0.0 SEG_PORT=8000 SEG_ALLOW_EMBEDDED=0 SEG_LOG_FORMAT=json
EXPOSE 8000
USER nobody
# Liveness: the process answers. (/readyz also checks the database: for load balancers.)
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('SEG_PORT', '8000')}/healthz\", timeout=2)"]
CMD ["seg-graphql", "serve"]
