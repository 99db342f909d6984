FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir . && useradd --system --home /app app
COPY . .
RUN DJANGO_ENV=production SECRET_KEY=build FIELD_ENCRYPTION_KEYS=MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA= \
    ALLOWED_HOSTS=build python manage.py collectstatic --no-input
USER app
EXPOSE 8000
CMD ["gunicorn", "dext_connections.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
