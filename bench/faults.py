"""Faults: a crash in the middle of a load, and a database that goes away and comes back.

    python -m bench.faults [--clients 50] [--surveys 1000] [--only kill|outage]

kill:   browsers complete surveys while gunicorn (master and workers) is killed with SIGKILL
        and started again; they retry like a person pressing reload. Afterwards every
        acknowledged submission is stored, none twice.
outage: the app reaches PostgreSQL through a TCP proxy this script controls. With the proxy
        stopped, /s/intake answers a friendly 503 page and /healthz a 503 JSON; once it is
        back, both answer 200 again within seconds, with no restart of the app.

Exits 1 when any of that does not hold.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import sys
import threading
import time
from collections.abc import Callable

from sqlalchemy.engine import make_url

from .browser import CSRF, Browser, intake_pages
from .load import run_load, stored_problems, summary
from .servers import Gunicorn, database, free_port, prepare

# How long after the proxy returns the app must answer again without a restart.
RECOVERY_SECONDS = 10.0


# --- kill ------------------------------------------------------------------------------


def check_kill(clients: int, surveys: int, kill_after: float = 0.4, log=print) -> list[str]:
    """Kill gunicorn once `kill_after` of the surveys are acknowledged, restart it on the
    same port, let the browsers finish, then compare what they saw with what is stored."""
    with database("postgresql") as url, Gunicorn(url) as server:
        prepare(url)
        server.start()
        result: dict = {}
        loader = threading.Thread(
            target=lambda: result.update(run=run_load(server.url, clients, surveys, 60.0)),
            daemon=True,
        )
        loader.start()
        killed = _kill_when(server, url, int(surveys * kill_after), loader)
        loader.join()
        run = result["run"]
        log(f"kill: SIGKILL after {killed} stored; {summary(run)}")
        problems = stored_problems(url, run)
    if killed is None:
        problems.append("the load ended before the server could be killed")
    problems += [f"survey {s.number} never acknowledged: {s.error}" for s in run.failed[:10]]
    return problems


def _kill_when(server: Gunicorn, url: str, stored: int, loader: threading.Thread) -> int | None:
    """Wait until `stored` responses are in the database, then kill and restart."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        while loader.is_alive():
            with engine.connect() as connection:
                count = connection.execute(text("SELECT count(*) FROM responses")).scalar_one()
            if count >= stored:
                server.kill()
                time.sleep(1.0)
                server.start()
                return count
            time.sleep(0.1)
    finally:
        engine.dispose()
    return None


# --- outage ----------------------------------------------------------------------------


class TcpProxy:
    """A TCP relay from 127.0.0.1:port to the database that can be cut and restored.

    `stop` closes the listener and every relayed connection, as when the database host
    goes away; `start` listens again on the same port.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self.listener is not None:
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        with self.lock:
            cut, self.sockets = self.sockets, set()
        for sock in cut:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> TcpProxy:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _proxied(url: str, port: int) -> str:
    """The same database reached through the proxy, failing fast when it is away."""
    proxied = make_url(url).set(host="127.0.0.1", port=port)
    proxied = proxied.update_query_dict({"connect_timeout": "2"})
    return proxied.render_as_string(hide_password=False)


def _probe(server: Gunicorn) -> dict[str, tuple[int, str]]:
    """Status and body of the survey page and /healthz, as a fresh browser sees them."""
    seen = {}
    for path in ("/s/intake", "/healthz"):
        browser = Browser(server.url, timeout=15)
        try:
            page = browser.request("GET", path)
        finally:
            browser.close()
        seen[path] = (page.status, page.body)
    return seen


def _all_answer(server: Gunicorn, test: Callable[[dict], bool], times: int = 6) -> bool:
    """Several probes in a row, so both workers (and their pools) are seen."""
    return all(test(_probe(server)) for _ in range(times))


def _is_down(seen: dict) -> bool:
    page_status, page = seen["/s/intake"]
    health_status, health = seen["/healthz"]
    return (
        page_status == 503
        and "Temporarily unavailable" in page
        and "Traceback" not in page
        and health_status == 503
        and '"unavailable"' in health
    )


def _is_up(seen: dict) -> bool:
    return seen["/s/intake"][0] == 200 and seen["/healthz"][0] == 200


def check_outage(log=print) -> list[str]:
    """Stop the proxy under a running app, then restore it; see what people get."""
    with database("postgresql") as url:
        prepare(url)
        target = make_url(url)
        proxy = TcpProxy((target.host, target.port or 5432))
        with proxy, Gunicorn(_proxied(url, proxy.port)) as server:
            server.start()
            if not _all_answer(server, _is_up):
                return [f"before the outage the app did not answer 200: {_probe(server)}"]
            problems = _while_down(server, proxy)
            proxy.start()
            return problems + _recovery(server, log)


def _while_down(server: Gunicorn, proxy: TcpProxy) -> list[str]:
    """Cut the database; fresh visitors and someone half-way through page 1 get a 503."""
    problems = []
    browser = Browser(server.url)
    try:
        page = browser.request("GET", "/s/intake")
        proxy.stop()
        if not _all_answer(server, _is_down):
            problems.append(f"during the outage: {_summarise(_probe(server))}")
        token = CSRF.search(page.body)
        answers, action = intake_pages(0)[0]
        form = {"csrf_token": token.group(1) if token else "", "action": action, **answers}
        posted = browser.request("POST", "/s/intake?page=1", form)
    finally:
        browser.close()
    if posted.status != 503 or "Temporarily unavailable" not in posted.body:
        problems.append(f"a page sent during the outage got HTTP {posted.status}")
    return problems


def _recovery(server: Gunicorn, log) -> list[str]:
    """The database is back: the same app must answer 200 again within seconds."""
    back = time.monotonic()
    while not _all_answer(server, _is_up):
        if time.monotonic() - back > RECOVERY_SECONDS:
            return [
                f"not back {RECOVERY_SECONDS:.0f} s after the database returned: "
                f"{_summarise(_probe(server))}"
            ]
        time.sleep(0.2)
    log(f"outage: 503 while down, 200 again {time.monotonic() - back:.1f} s after it returned")
    return []


def _summarise(seen: dict) -> str:
    return ", ".join(f"{path} HTTP {status}" for path, (status, _) in seen.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--surveys", type=int, default=1000)
    parser.add_argument("--only", choices=["kill", "outage"])
    args = parser.parse_args(argv)
    failed = False
    if args.only in (None, "kill"):
        failed |= _report("kill", check_kill(args.clients, args.surveys))
    if args.only in (None, "outage"):
        failed |= _report("outage", check_outage())
    return 1 if failed else 0


def _report(name: str, problems: list[str]) -> bool:
    for problem in problems[:20]:
        print(f"  FAIL {problem}")
    print(f"{name}: FAILED" if problems else f"{name}: passed")
    return bool(problems)


if __name__ == "__main__":
    sys.exit(main())
