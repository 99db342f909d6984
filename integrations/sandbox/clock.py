"""The sandbox's one source of time. Tests travel in time by monkeypatching :func:`now`.

Every module calls ``clock.now()`` (never ``timezone.now()`` directly), so token expiry, grace
periods, idle sessions and rate-limit windows all follow the patched clock.
"""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
