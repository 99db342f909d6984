FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir . && useradd --system --home /app app
COPY . .
# collectstatic needs settings that load; these placeholders exist only in this build step.
RUN SECRET_KEY=build-only FIELD_ENCRYPTION_KEYS=MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA= ALLOWED_HOSTS=build \
    XERO_CLIENT_ID=build XERO_CLIENT_SECRET=build QBO_CLIENT_ID=build QBO_CLIENT_SECRET=build \
    APPROVALMAX_CLIENT_ID=build APPROVALMAX_CLIENT_SECRET=build python manage.py collectstatic --no-input
USER app
EXPOSE 8000
CMD ["gunicorn", "dext_connections.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
