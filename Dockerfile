# syntax=docker/dockerfile:1
# The app's image: the web services run gunicorn (the CMD), the worker `flask --app wsgi worker`.
# Two stages: the build one installs into a virtualenv; the final one copies it, without pip's
# caches or build tools, and runs as a user that owns nothing but its data folders.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY pyproject.toml README.md ./
COPY marketplace ./marketplace
# Editable: the Alembic migrations live beside the package (migrations/, not inside it), where
# the factory looks for them; /app is copied to the same path in the final stage.
RUN pip install -e . && python -m compileall -q marketplace
COPY wsgi.py gunicorn.conf.py ./
COPY migrations ./migrations

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GUNICORN_BIND=0.0.0.0:8000 \
    LOG_FORMAT=json \
    EVIDENCE_FOLDER=/data/evidence
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
# The instance folder (a generated secret key when SECRET_KEY is unset) and the evidence
# files are the only places the app writes; the code stays read-only for its user.
RUN useradd --create-home --uid 10001 --user-group app \
    && mkdir -p /app/instance /data/evidence \
    && chown app:app /app/instance /data/evidence
WORKDIR /app
USER app
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
