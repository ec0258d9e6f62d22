# The OCIT Care Record image: one image for web (gunicorn), worker and beat (celery).
FROM node:20-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY ocit/frontend ocit/frontend
RUN npm run build

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml manage.py ./
COPY ocit ocit
COPY caseload caseload
COPY discharge discharge
COPY referrals referrals
COPY benefits benefits
COPY interfaces interfaces
COPY templates templates
RUN pip install --no-cache-dir .
COPY --from=assets /app/ocit/static ocit/static
# collectstatic reads settings, which need a key; this one exists only during the build.
RUN DEBUG=false SECRET_KEY=collectstatic-build-only STATIC_HASHED_FILES=true python manage.py collectstatic --noinput
RUN useradd --system --home /app ocit
USER ocit
EXPOSE 8000
