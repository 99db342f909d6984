"""docker-compose.yml runs the workers by queue, each scalable with --scale (README, "Running at scale")."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def _queues(service: dict) -> set[str]:
    words = service["command"].split()
    return set(words[words.index("-Q") + 1].split(","))


def test_each_queue_has_its_own_scalable_worker_service():
    services = _services()
    assert _queues(services["worker-interactive"]) == {"publish_interactive", "default"}
    assert _queues(services["worker-bulk"]) == {"publish_bulk"}
    assert _queues(services["worker-lists"]) == {"lists"}
    for name in ("worker-interactive", "worker-bulk", "worker-lists", "beat"):
        service = services[name]
        assert "container_name" not in service, f"{name} has a fixed name: --scale would fail"
        if name != "beat":
            assert "ports" not in service, f"{name} publishes a host port: a second replica could not start"


def test_every_queue_the_code_sends_to_is_consumed():
    """A queue nobody consumes is work that never runs (the list syncs' "lists" queue, say)."""
    consumed = set().union(*(_queues(s) for s in _services().values() if " worker " in f" {s.get('command', '')} "))
    sent = {"default", "publish_interactive", "publish_bulk", "lists"}
    assert sent <= consumed, f"not consumed: {sent - consumed}"
    assert "beat" in (_services()["beat"]["command"])


def test_every_worker_and_beat_is_started_again_when_it_exits():
    """A worker may exit on a lost broker connection (README, "Running at scale"); its container must come back."""
    services = _services()
    for name in ("worker-interactive", "worker-bulk", "worker-lists", "beat"):
        assert services[name].get("restart") in {"always", "unless-stopped"}, f"{name} stays down once it exits"
