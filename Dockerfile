FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir .
ENV SEG_HOST=0.0.0.0 SEG_PORT=8000
EXPOSE 8000
USER nobody
CMD ["seg-graphql", "serve"]
