"""The poll server process: logging without addresses, the listening socket, the database, signals,
`server.json` for the notebook, and leaving when asked (`aftertalk stop`) or when the last room ends."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import re
import secrets
import signal
from pathlib import Path

import tornado.httpserver
import tornado.netutil

from aftertalk import network
from aftertalk.network import raise_open_files_limit
from aftertalk.paths import SERVER_INFO, write_private
from aftertalk.server import accept, store
from aftertalk.server.app import create_app
from aftertalk.server.base import MAX_BODY_BYTES

GC_YOUNG_OBJECTS = 20_000  # new objects between garbage collections (Python's default is 700)
SHUTDOWN_GRACE_SECONDS = 0.2  # between a stop being asked for and the process leaving

log = logging.getLogger("aftertalk.server")


_ADDRESS = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|\b[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}\b")


class RedactAddresses(logging.Filter):
    """Belt and braces: no log line may carry an IP address, whoever wrote it."""

    def filter(self, record):
        record.msg = _ADDRESS.sub("[address]", record.getMessage())
        record.args = None
        return True


def configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactAddresses())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    logging.getLogger("tornado.access").disabled = True
    # tornado.general logs malformed requests with the peer's address at INFO.
    logging.getLogger("tornado.general").setLevel(logging.WARNING)


def run(*, host: str, port: int, data_dir, public_url: str | None = None, exit_when_rooms_end: bool = False) -> None:
    """Serve until SIGTERM, Ctrl-C or `aftertalk stop` (and, with `exit_when_rooms_end`, until the last room
    ends). Writes data_dir/server.json (url, admin token) for the notebook."""
    configure_logging()
    raise_open_files_limit()
    # A room holds thousands of long-lived objects (each phone's stream and handler), and Python's
    # default collector rescanned them every 700 allocations: a fifth of the server's time at 1,000
    # phones (benchmarks/README.md). Collecting less often cost no measurable memory there.
    gc.set_threshold(GC_YOUNG_OBJECTS, 20, 20)
    data_dir = Path(data_dir)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    sockets = tornado.netutil.bind_sockets(port, address=host or None)
    db = store.connect(data_dir)
    try:
        asyncio.run(
            _serve(
                sockets,
                db,
                host=host,
                data_dir=data_dir,
                public_url=public_url,
                exit_when_rooms_end=exit_when_rooms_end,
            )
        )
    finally:
        db.close()


async def _serve(sockets, db, *, host, data_dir: Path, public_url, exit_when_rooms_end: bool) -> None:
    bound_port = sockets[0].getsockname()[1]
    admin_token = secrets.token_urlsafe(24)
    join_base_url = public_url or f"http://{network.join_host(host)}:{bound_port}"
    info_path = data_dir / SERVER_INFO
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def shut_down() -> None:
        info_path.unlink(missing_ok=True)  # from now on no notebook finds this server and reuses it
        loop.call_later(SHUTDOWN_GRACE_SECONDS, stop.set)  # let the reply that asked reach its client

    app = create_app(
        db,
        admin_token=admin_token,
        join_base_url=join_base_url,
        shut_down=shut_down,
        exit_when_rooms_end=exit_when_rooms_end,
    )
    http_server = tornado.httpserver.HTTPServer(app, xheaders=False, max_body_size=MAX_BODY_BYTES * 128)
    stop_accepting = accept.accept_connections(http_server, sockets)
    # Handle SIGTERM before announcing the server, so a quick stop is always a clean one.
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, stop.set)
        except NotImplementedError:  # Windows: no signal handlers in the event loop
            signal.signal(signum, lambda *_: loop.call_soon_threadsafe(stop.set))
    write_private(
        info_path,
        json.dumps(
            {
                "url": f"http://{network.local_host(host)}:{bound_port}",
                "join_base_url": join_base_url,
                "admin_token": admin_token,
                "pid": os.getpid(),
            }
        ),
    )
    log.info("Aftertalk poll server ready on port %d; data in %s", bound_port, data_dir)
    try:
        await stop.wait()
    finally:
        stop_accepting()
        info_path.unlink(missing_ok=True)
