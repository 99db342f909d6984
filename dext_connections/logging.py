"""Structured (JSON lines) logging that never prints a secret."""

import json
import logging
import re
from datetime import UTC, datetime

SECRET_KEYS = re.compile(
    r"(password|passwd|secret|token|authorization|api[_-]?key|dev[_-]?key|session[_-]?id|code_verifier|cookie)",
    re.IGNORECASE,
)
# key=value, "key": "value" and Bearer/Token/Basic credentials inside free text.
_INLINE = re.compile(
    r"""(?P<key>["']?[\w-]*(?:password|secret|token|api[_-]?key|dev[_-]?key|session[_-]?id)[\w-]*["']?\s*[:=]\s*)(?P<value>"[^"]*"|'[^']*'|[^\s,&}]+)""",
    re.IGNORECASE,
)
_AUTH_HEADER = re.compile(r"\b(Bearer|Token|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
REDACTED = "[redacted]"


def redact_text(text: str) -> str:
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _INLINE.sub(lambda m: f"{m.group('key')}{REDACTED}", text)


def redact_value(value):
    if isinstance(value, dict):
        return {k: (REDACTED if SECRET_KEYS.search(str(k)) else redact_value(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


class RedactSecretsFilter(logging.Filter):
    """Masks secrets in the message, its arguments and any ``extra`` fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed format string must not lose the log line
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = ()
        for key, value in list(record.__dict__.items()):
            if key in _STANDARD_ATTRS:
                continue
            record.__dict__[key] = REDACTED if SECRET_KEYS.search(key) else redact_value(value)
        return True


_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "at": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)
