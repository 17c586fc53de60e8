"""Accepting connections without spinning when the server runs out of open files.

tornado's own accept loop lets EMFILE escape: the listening socket stays readable, so the loop runs
again at once, forever, at full CPU and with a traceback in the log each time. Here the server stops
accepting for a moment instead. Phones that arrive meanwhile wait in the kernel's queue and are let in
as soon as other connections close.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import time
from collections.abc import Callable

import tornado.iostream
import tornado.tcpserver

PAUSE_SECONDS = 0.5
WARN_EVERY_SECONDS = 60.0
BATCH = 128  # connections taken per wake-up, so a queue of arrivals cannot starve the open streams
OUT_OF_RESOURCES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)

log = logging.getLogger("aftertalk.server")


def accept_connections(server: tornado.tcpserver.TCPServer, sockets: list[socket.socket]) -> Callable[[], None]:
    """Hand every connection on `sockets` to `server`. Returns a function that stops and closes them."""
    loop = asyncio.get_running_loop()
    last_warning = [-WARN_EVERY_SECONDS]
    paused: dict[int, asyncio.TimerHandle] = {}

    def ready(sock: socket.socket) -> None:
        for _ in range(BATCH):
            try:
                connection, address = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue  # the phone gave up while queued
            except OSError as error:
                if error.errno not in OUT_OF_RESOURCES:
                    raise
                pause(sock)
                return
            stream = tornado.iostream.IOStream(
                connection, max_buffer_size=server.max_buffer_size, read_chunk_size=server.read_chunk_size
            )
            server.handle_stream(stream, address)

    def pause(sock: socket.socket) -> None:
        now = time.monotonic()
        if now - last_warning[0] >= WARN_EVERY_SECONDS:
            last_warning[0] = now
            log.warning(
                "Out of open files: new phones wait until others leave. For a room this large, "
                "raise the hard open-files limit (ulimit -Hn); `aftertalk check` says how many fit."
            )
        loop.remove_reader(sock.fileno())
        paused[sock.fileno()] = loop.call_later(PAUSE_SECONDS, resume, sock)

    def resume(sock: socket.socket) -> None:
        paused.pop(sock.fileno(), None)
        loop.add_reader(sock.fileno(), ready, sock)

    def stop() -> None:
        for sock in sockets:
            if sock.fileno() in paused:
                paused.pop(sock.fileno()).cancel()
            else:
                loop.remove_reader(sock.fileno())
            sock.close()

    for sock in sockets:
        loop.add_reader(sock.fileno(), ready, sock)
    return stop
