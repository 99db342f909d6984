"""``make run`` supervises its processes as production's supervisor does: a worker or beat that exits is started
again (Celery's Redis transport can exit when Redis goes away); the web server's exit or a crash loop stops all."""

from dext_connections.devstack import supervise


class Fake:
    def __init__(self, name: str, exits_after: int | None = None, code: int = 1):
        self.name, self.exits_after, self.returncode, self.polls = name, exits_after, None, 0
        self.code = code

    def poll(self):
        self.polls += 1
        if self.exits_after is not None and self.polls > self.exits_after:
            self.returncode = self.code
        return self.returncode


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_a_worker_that_exits_is_started_again_and_the_web_servers_exit_stops_all():
    clock, started, stopped = Clock(), [], []
    web = Fake("web", exits_after=6, code=3)
    procs = {"web": web, "worker": Fake("worker", exits_after=1), "beat": Fake("beat")}

    def start(name):
        started.append(name)
        return Fake(name)

    code = supervise(procs, start, lambda: stopped.append(True), sleep=clock.sleep, clock=clock)
    assert started == ["worker"], "the worker came back once, nothing else was restarted"
    assert procs["worker"].returncode is None, "the new worker runs"
    assert stopped == [True] and code == 3, "the web server's exit stops everything with its code"


def test_a_crash_loop_stops_everything_instead_of_restarting_for_ever():
    clock, started, stopped = Clock(), [], []
    procs = {"web": Fake("web"), "worker": Fake("worker", exits_after=0)}

    def start(name):
        started.append(name)
        return Fake(name, exits_after=0, code=2)

    code = supervise(procs, start, lambda: stopped.append(True), sleep=clock.sleep, clock=clock)
    assert len(started) == 5 and stopped == [True] and code == 2
