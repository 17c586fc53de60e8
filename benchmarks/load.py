"""Load benchmark: N phones in one room, against a real `aftertalk serve` and a bare tornado handler.

Run:  .venv/bin/python benchmarks/load.py --participants 1000
      .venv/bin/python benchmarks/load.py --participants 5000
      .venv/bin/python benchmarks/load.py --participants 1000 --profile /tmp/aftertalk.prof   (cProfile)
(method and last results: benchmarks/README.md, section "Load: 1,000 phones in one room")

What it does, all on 127.0.0.1, bounded in count and time (it stops by itself):
1. Starts `aftertalk serve` on 127.0.0.1 with a temporary data dir, and a bare tornado app (this file
   with --bare-server) in a separate process whose only handler takes the same POST and returns 200.
2. Creates a room with the admin token from data_dir/server.json.
3. N simulated phones (asyncio streams, HTTP/1.1 by hand, one keep-alive connection per phone for
   pages and answers plus one for the live-update stream, as a browser has) join: GET /r/CODE, keep the
   aftertalk_device cookie, open GET /r/CODE/events. The room's status must report N phones.
4. Live round, what app.js does: the facilitator opens a question; every phone waits for its
   `event: change`, which carries the phone's view of the page (checked: it must hold the new
   question), "thinks" for a random time (uniform over --think seconds) and answers once (POST
   /r/CODE/answer, JSON padded to 2,048 bytes as app.js pads it; the reply, padded to 8,192 bytes,
   carries the next view).
   Fetch round, side by side: the same, but every phone also fetches GET /r/CODE/current after the
   event, as app.js did before the view rode on the event (and as a phone without its cookie does).
5. Burst rounds, interleaved with the bare handler (--repeats pairs): a new question is opened, every
   phone sees it, then all N phones answer at the same instant; the same N answers, from the same
   client, go to the bare handler over its own N keep-alive connections. Throughput is N / (last
   acknowledgement - start); the client's and each server's CPU time over the same window are read
   (time.process_time, /proc/PID/stat), with the whole machine's CPU (/proc/stat) and the kernel's TCP
   timeouts (/proc/net/netstat), to show which side was saturated.
6. After each round the question is closed, as a facilitator closes a poll before the next one, and
   every phone gets its new view before the next round starts. At the end each question's count is
   read from GET /api/rooms/CODE/questions/QID/count; answers acknowledged 200 but not counted are
   "lost".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aftertalk.server.base import ANSWER_BODY_BYTES as ANSWER_BYTES  # app.js pads every answer to this size

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only: this benchmark never sends a packet anywhere else
REQUEST_TIMEOUT = 30.0
START_TIMEOUT = 20.0
JOIN_CONCURRENCY = 100  # phones scanning a QR code arrive over time, not in one SYN flood

FDS_PER_PHONE = 3  # page/answer connection, event stream, bare-handler connection
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
QUESTION = {
    "text": "After sex, which of these have you felt?",
    "kind": "multi",
    "options": [
        {"id": "calm", "label": "Calm"},
        {"id": "close", "label": "Close"},
        {"id": "sleepy", "label": "Sleepy"},
        {"id": "empty", "label": "Empty"},
        {"id": "sad", "label": "Sad"},
        {"id": "none", "label": "None of these", "exclusive": True},
    ],
}
CHOICES = [["calm"], ["close", "sleepy"], ["sad"], ["empty", "sad"], ["none"], ["prefer_not_to_say"]]


# --- the bare handler (a separate process) --------------------------------------------------------


def bare_server(port_file: str) -> None:
    """The stack's own limit: tornado, one route, the same POST, 200 and the same JSON, nothing else.
    It collects garbage as the aftertalk server does, so the ratio is not flattered by that."""
    import gc

    import tornado.httpserver
    import tornado.netutil
    import tornado.web

    from aftertalk.server.process import GC_YOUNG_OBJECTS

    gc.set_threshold(GC_YOUNG_OBJECTS, 20, 20)

    from aftertalk.server.participant import REPLY_BYTES

    class Answer(tornado.web.RequestHandler):
        def post(self, code):
            # padded as the aftertalk server pads every reply to a phone, so both send the same bytes
            self.finish('{"ok": true}'.ljust(REPLY_BYTES))

    async def serve():
        sockets = tornado.netutil.bind_sockets(0, address=HOST)
        app = tornado.web.Application([(r"/r/([A-Za-z0-9]{1,16})/answer", Answer)], log_function=lambda handler: None)
        http_server = tornado.httpserver.HTTPServer(app)
        http_server.add_sockets(sockets)
        Path(port_file + ".partial").write_text(str(sockets[0].getsockname()[1]))
        os.replace(port_file + ".partial", port_file)
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await stop.wait()
        http_server.stop()

    asyncio.run(serve())


# --- server processes -----------------------------------------------------------------------------


class Process:
    """A server in a child process; ready when its `ready_file` appears; stopped with SIGTERM."""

    def __init__(self, argv, ready_file: Path, log_path: Path, open_files: int | None = None):
        self.argv, self.ready_file, self.log_path = argv, ready_file, log_path
        self.open_files = open_files  # the child's soft open-files limit, if not this process's
        self.process = None

    def start(self) -> Process:
        self.ready_file.unlink(missing_ok=True)
        with open(self.log_path, "ab") as output:
            self.process = subprocess.Popen(
                self.argv, stdout=output, stderr=output, cwd=ROOT, preexec_fn=self._limit if self.open_files else None
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not self.ready_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"{self.argv[:4]} did not start:\n{self.log_path.read_text()[-2000:]}")
            time.sleep(0.05)
        return self

    def _limit(self):
        # Soft and hard: the server raises its soft limit to the hard one by itself.
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.open_files, self.open_files))

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far, from /proc/PID/stat."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)  # a profiled server writes its profile on the way out
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_aftertalk(work: Path, profile: str | None, open_files: int | None) -> tuple[Process, dict]:
    data_dir = work / "data"
    data_dir.mkdir()
    prefix = [sys.executable] + (["-m", "cProfile", "-o", profile] if profile else [])
    process = Process(
        prefix + ["-m", "aftertalk", "serve", "--host", HOST, "--port", "0", "--data-dir", str(data_dir)],
        data_dir / "server.json",
        work / "aftertalk-server.log",
        open_files,
    ).start()
    return process, json.loads((data_dir / "server.json").read_text())


def start_bare(work: Path) -> tuple[Process, int]:
    port_file = work / "bare.port"
    process = Process(
        [sys.executable, str(Path(__file__).resolve()), "--bare-server", str(port_file)],
        port_file,
        work / "bare-server.log",
    ).start()
    return process, int(port_file.read_text())


# --- a minimal HTTP/1.1 client on asyncio streams -------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection. Enough HTTP for these servers: Content-Length and chunked."""

    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection(HOST, self.port), REQUEST_TIMEOUT)

    async def request(self, method: str, path: str, headers: dict | None = None, body: bytes = b""):
        """Send one request, return (status, headers, body); reconnects if the server had closed."""
        if self.writer is None or self.writer.is_closing():
            await self.open()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        try:
            return await asyncio.wait_for(self._response(), REQUEST_TIMEOUT)
        except BaseException:
            self.close()  # a late response must not be read as the answer to the next request
            raise

    async def _response(self):
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        headers = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers.setdefault(name.strip().lower(), []).append(value.strip())
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"][0]))
        elif "chunked" in ",".join(headers.get("transfer-encoding", [])):
            body = b""
            for _ in range(100_000):
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self.reader.read()
            self.close()
        if "close" in ",".join(headers.get("connection", [])).lower():
            self.close()
        return status, headers, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class Counters:
    def __init__(self):
        self.errors: dict[str, int] = {}

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.errors.values())


class Phone:
    """A pretend phone: its cookie, its page connection, its live-update stream."""

    def __init__(self, number: int, port: int, code: str, counters: Counters):
        self.number, self.code, self.counters = number, code, counters
        self.page = Connection(port)
        self.stream = Connection(port)
        self.bare: Connection | None = None
        self.cookie = None
        self.seen: dict[int, float] = {}  # event version -> when this phone had the whole event
        self.views: dict[int, str] = {}  # event version -> the view of the page it carried
        self.new_event = asyncio.Event()
        self.listener: asyncio.Task | None = None

    async def join(self) -> float:
        """GET the room page (keeping the cookie), open the event stream, wait for its first event."""
        start = time.perf_counter()
        status, headers, body = await self.page.request("GET", f"/r/{self.code}")
        if status != 200:
            raise RuntimeError(f"join: HTTP {status}")
        for value in headers.get("set-cookie", []):
            if value.startswith("aftertalk_device="):
                self.cookie = value.split(";", 1)[0]
        if not self.cookie:
            raise RuntimeError("join: no device cookie")
        await self.stream.open()
        self.stream.writer.write(
            (
                f"GET /r/{self.code}/events HTTP/1.1\r\nHost: {HOST}\r\n"
                f"Accept: text/event-stream\r\nCookie: {self.cookie}\r\n\r\n"
            ).encode()
        )
        head = await asyncio.wait_for(self.stream.reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
        if not head.startswith(b"HTTP/1.1 200") or b"transfer-encoding: chunked" not in head.lower():
            raise RuntimeError(f"events: {head[:40]!r}")
        self.listener = asyncio.create_task(self.listen())
        await self.wait_version(0)
        return time.perf_counter() - start

    async def listen(self) -> None:
        """Read the event stream (chunked, as tornado sends it); note when each whole `change` event
        arrives, with its view. Ends with the connection."""
        buffer = b""
        reader = self.stream.reader
        try:
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                if size == 0:
                    return
                data = (await reader.readexactly(size + 2))[:-2]
                now = time.perf_counter()
                *events, buffer = (buffer + data).split(b"\n\n")  # the last part is not whole yet
                for event in events:
                    if event.startswith(b"event: ended"):
                        return
                    if event.startswith(b"event: change\ndata: "):
                        change = json.loads(event.split(b"data: ", 1)[1])
                        self.seen.setdefault(change["version"], now)
                        self.views.setdefault(change["version"], change.get("html", ""))
                self.new_event.set()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return

    async def wait_version(self, version: int) -> float:
        """When this phone saw a change event of at least `version` (waits for it, bounded)."""
        deadline = time.perf_counter() + REQUEST_TIMEOUT
        while True:
            seen = [t for v, t in self.seen.items() if v >= version]
            if seen:
                return min(seen)
            remaining = deadline - time.perf_counter()
            if remaining <= 0 or self.listener.done():
                raise TimeoutError(f"phone {self.number} never saw version {version}")
            self.new_event.clear()
            try:
                await asyncio.wait_for(self.new_event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def answer_body(self, question_id: str) -> bytes:
        body = json.dumps({"question": question_id, "options": CHOICES[self.number % len(CHOICES)], "skip": False})
        return body.ljust(ANSWER_BYTES).encode()

    async def answer(self, connection: Connection, question_id: str) -> float | None:
        """POST one answer; the latency in seconds if acknowledged with 200 (for aftertalk, with the
        next view in the reply), else None (an error)."""
        start = time.perf_counter()
        try:
            status, _, body = await connection.request(
                "POST",
                f"/r/{self.code}/answer",
                {"Content-Type": "application/json", "Cookie": self.cookie},
                self.answer_body(question_id),
            )
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
            self.counters.error(f"answer: {type(error).__name__}")
            return None
        if status != 200:
            self.counters.error(f"answer: HTTP {status} {body[:60]!r}")
            return None
        latency = time.perf_counter() - start
        if connection is self.page and b'"html": "' not in body:
            self.counters.error("answer: no next view in the reply")
        return latency

    def close(self) -> None:
        for connection in (self.page, self.stream, self.bare):
            if connection:
                connection.close()
        if self.listener:
            self.listener.cancel()


class Facilitator:
    def __init__(self, port: int, code: str, token: str):
        self.connection = Connection(port)
        self.code, self.auth = code, {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, body: dict | None = None):
        headers = dict(self.auth, **({"Content-Type": "application/json"} if body is not None else {}))
        status, _, reply = await self.connection.request(
            method, f"/api/rooms/{self.code}{path}", headers, json.dumps(body).encode() if body else b""
        )
        if status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {status} {reply[:200]!r}")
        return json.loads(reply)


# --- measuring ------------------------------------------------------------------------------------


def percentile(values, p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def machine_counters() -> dict:
    """Whole-machine CPU ticks (all cores: busy, of which softirq and steal) and kernel TCP counters
    (retransmission timeouts, listen-queue overflows), to tell a slow server from a slow machine."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    counters = {
        "busy": user + nice + system + irq + softirq + steal,
        "softirq": softirq,
        "steal": steal,
        "all": user + nice + system + idle + iowait + irq + softirq + steal,
    }
    for table in ("/proc/net/snmp", "/proc/net/netstat"):
        lines = Path(table).read_text().splitlines()
        for names, values in zip(lines[::2], lines[1::2]):
            for name, value in zip(names.split()[1:], values.split()[1:]):
                if name in ("RetransSegs", "TCPTimeouts", "ListenOverflows"):
                    counters[name] = int(value)
    return counters


class Window:
    """Wall time and CPU time of the client and of each server over one measured stretch, with the
    whole machine's CPU and the kernel's TCP timeouts over the same stretch."""

    def __init__(self, processes: dict):
        self.processes = processes

    def __enter__(self):
        self.wall, self.client = time.perf_counter(), time.process_time()
        self.servers = {name: p.cpu_seconds() for name, p in self.processes.items()}
        self.machine = machine_counters()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.client = time.process_time() - self.client
        self.servers = {name: p.cpu_seconds() - self.servers[name] for name, p in self.processes.items()}
        after = machine_counters()
        self.machine = {name: after[name] - self.machine.get(name, 0) for name in after}

    def busy(self) -> dict:
        """CPU seconds per wall second (1.0 = one core saturated); `machine` is all cores together
        (2.0 = both saturated), `others` what neither server nor client used (other people's work,
        the kernel's softirq, the hypervisor's steal)."""
        cores = os.cpu_count() or 1
        machine = cores * self.machine["busy"] / max(1, self.machine["all"])
        ours = self.client / self.wall + sum(cpu / self.wall for cpu in self.servers.values())
        return {
            "client": self.client / self.wall,
            **{name: cpu / self.wall for name, cpu in self.servers.items()},
            "machine": machine,
            "others": max(0.0, machine - ours),
            "steal": cores * self.machine["steal"] / max(1, self.machine["all"]),
            "tcp_timeouts": self.machine.get("TCPTimeouts", 0),
            "listen_overflows": self.machine.get("ListenOverflows", 0),
        }


async def gather_bounded(coroutines, timeout: float) -> list:
    """Run all, give up on what is unfinished after `timeout` s; results or exceptions, in order."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    if tasks:
        await asyncio.wait(tasks, timeout=timeout)
    outcomes = []
    for task in tasks:
        if not task.done():
            task.cancel()
            outcomes.append(asyncio.TimeoutError(f"unfinished after {timeout:.0f} s"))
        elif task.cancelled():
            outcomes.append(asyncio.CancelledError())
        else:
            outcomes.append(task.exception() or task.result())
    return outcomes


async def run(args, work: Path) -> dict:
    aftertalk, info = start_aftertalk(work, args.profile, args.server_open_files)
    bare, bare_port = start_bare(work)
    processes = {"aftertalk": aftertalk, "bare": bare}
    counters = Counters()
    phones: list[Phone] = []
    results: dict = {"participants": args.participants, "errors": counters.errors}
    try:
        port = int(info["url"].rsplit(":", 1)[1])
        admin = Connection(port)
        status, _, created = await admin.request(
            "POST", "/api/rooms", {"Authorization": f"Bearer {info['admin_token']}"}
        )
        assert status == 201, created
        created = json.loads(created)
        code = created["code"]
        facilitator = Facilitator(port, code, created["token"])

        # 1. join: page + cookie + event stream, JOIN_CONCURRENCY phones at a time
        phones = [Phone(n, port, code, counters) for n in range(args.participants)]

        def count_failures(outcomes, what):
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    counters.error(f"{what}: {type(outcome).__name__}: {outcome}"[:80])

        gate = asyncio.Semaphore(JOIN_CONCURRENCY)

        async def join(phone):
            async with gate:
                return await phone.join()

        with Window(processes) as window:
            joined = await gather_bounded([join(p) for p in phones], args.participants * 0.1 + 60)
        failed = [j for j in joined if isinstance(j, BaseException)]
        for error in failed:
            counters.error(f"join: {type(error).__name__}: {error}"[:80])
        for phone, outcome in zip(phones, joined):
            if isinstance(outcome, BaseException):
                phone.close()
        phones = [p for p, j in zip(phones, joined) if not isinstance(j, BaseException)]
        if not phones:
            raise SystemExit("no phone could join: " + "; ".join(counters.errors))
        join_times = [j for j in joined if not isinstance(j, BaseException)]
        status = await facilitator.call("GET", "")
        results["join"] = {
            "phones_joined": len(phones),
            "server_counts_phones": status["phones"],
            "seconds": window.wall,
            "p50_ms": 1000 * percentile(join_times, 50),
            "p99_ms": 1000 * percentile(join_times, 99),
            "busy": window.busy(),
        }
        print(
            f"joined: {len(phones)} phones in {window.wall:.1f} s; the server counts {status['phones']} connected",
            flush=True,
        )
        version = max(max(p.seen) for p in phones)
        acknowledged: dict[str, int] = {}

        async def open_question(question_id) -> tuple[float, int]:
            nonlocal version
            start = time.perf_counter()
            # A room asks each question once (issue 13): each round's question is worded apart.
            await facilitator.call(
                "POST", "/questions", dict(QUESTION, id=question_id, text=f"{QUESTION['text']} ({question_id})")
            )
            version += 1
            return start, version

        async def close_question(question_id) -> None:
            """As the facilitator does before the next question; every phone is sent its new view,
            and the next round starts once all have it."""
            nonlocal version
            start = time.perf_counter()
            await facilitator.call("POST", f"/questions/{question_id}/close")
            version += 1
            await seen_by_all(start, version)

        async def seen_by_all(start, target) -> list[float]:
            seen = await gather_bounded([p.wait_version(target) for p in phones], REQUEST_TIMEOUT + 5)
            for error in (s for s in seen if isinstance(s, BaseException)):
                counters.error(f"event: {type(error).__name__}")
            return [s - start for s in seen if not isinstance(s, BaseException)]

        # 2. live rounds: open, every phone sees it, [fetches its page fragment,] thinks, answers once.
        #    "live" is what app.js does; "fetch" adds the fragment fetch app.js used to make.
        rng = random.Random(8)

        async def live(phone, think, start, target, question_id, fragment, current_times, latencies):
            seen = await phone.wait_version(target)
            if f'data-question="{question_id}"' not in phone.views[target]:
                counters.error("event: the change did not carry the new question")
            if fragment:
                t = time.perf_counter()
                status, _, body = await phone.page.request("GET", f"/r/{code}/current", {"Cookie": phone.cookie})
                if status != 200 or f'data-question="{question_id}"'.encode() not in body:
                    counters.error(f"current: HTTP {status}")
                current_times.append(time.perf_counter() - t)
            await asyncio.sleep(max(0.0, seen + think - time.perf_counter()))
            latency = await phone.answer(phone.page, question_id)
            if latency is not None:
                latencies.append(latency)
                acknowledged[question_id] = acknowledged.get(question_id, 0) + 1

        for question_id, fragment in (("live", False), ("fetch", True)):
            thinking = [rng.uniform(0, args.think) for _ in phones]
            current_times, latencies = [], []
            start, target = await open_question(question_id)
            with Window(processes) as window:
                count_failures(
                    await gather_bounded(
                        [
                            live(p, think, start, target, question_id, fragment, current_times, latencies)
                            for p, think in zip(phones, thinking)
                        ],
                        args.think + 3 * REQUEST_TIMEOUT,
                    ),
                    question_id,
                )
            propagation = await seen_by_all(start, target)
            round_result = results[question_id] = {
                "open_to_last_phone_s": max(propagation),
                "open_to_median_phone_s": statistics.median(propagation),
                "answered": len(latencies),
                "answer_p50_ms": 1000 * percentile(latencies, 50),
                "answer_p99_ms": 1000 * percentile(latencies, 99),
                "answer_max_ms": 1000 * max(latencies),
                "busy": window.busy(),
                "seconds": window.wall,
            }
            if fragment:
                round_result.update(
                    current_p50_ms=1000 * percentile(current_times, 50),
                    current_p99_ms=1000 * percentile(current_times, 99),
                )
            await close_question(question_id)
            print(
                f"{question_id} round: open -> last phone {max(propagation) * 1000:.0f} ms; {len(latencies)} "
                f"answers over {args.think:.0f} s, p50 {round_result['answer_p50_ms']:.1f} ms, "
                f"p99 {round_result['answer_p99_ms']:.1f} ms",
                flush=True,
            )

        # 3. burst rounds: all phones answer at once; aftertalk and the bare handler interleaved
        bare_open = asyncio.Semaphore(JOIN_CONCURRENCY)

        async def connect_bare(phone):
            async with bare_open:
                phone.bare = Connection(bare_port)
                await phone.bare.open()

        count_failures(
            await gather_bounded([connect_bare(p) for p in phones], args.participants * 0.05 + 60), "bare connect"
        )

        async def burst(target_of, question_id, counted: bool):
            go = asyncio.Event()
            done = []

            async def one(phone):
                await go.wait()
                latency = await phone.answer(target_of(phone), question_id)
                if latency is not None:
                    done.append(latency)
                    if counted:
                        acknowledged[question_id] = acknowledged.get(question_id, 0) + 1

            tasks = [asyncio.create_task(one(p)) for p in phones]
            await asyncio.sleep(0)
            with Window(processes) as window:
                go.set()
                count_failures(await gather_bounded(tasks, 2 * REQUEST_TIMEOUT), "burst")
            return {
                "answers_per_s": len(done) / window.wall,
                "acknowledged": len(done),
                "p50_ms": 1000 * percentile(done, 50),
                "p99_ms": 1000 * percentile(done, 99),
                "busy": window.busy(),
                "seconds": window.wall,
            }

        bursts = []
        for round_number in range(args.repeats):
            question_id = f"burst_{round_number}"
            start, target = await open_question(question_id)
            propagation = await seen_by_all(start, target)
            mine = await burst(lambda p: p.page, question_id, counted=True)
            mine["open_to_last_phone_s"] = max(propagation)
            theirs = await burst(lambda p: p.bare, question_id, counted=False)
            await close_question(question_id)
            mine["server_cpu_ms"] = 1000 * mine["busy"]["aftertalk"] * mine["seconds"] / max(1, mine["acknowledged"])
            theirs["server_cpu_ms"] = 1000 * theirs["busy"]["bare"] * theirs["seconds"] / max(1, theirs["acknowledged"])
            bursts.append(
                {
                    "aftertalk": mine,
                    "bare": theirs,
                    "ratio": mine["answers_per_s"] / theirs["answers_per_s"],
                    "cpu_ratio": theirs["server_cpu_ms"] / mine["server_cpu_ms"],
                }
            )
            print(
                f"burst {round_number + 1}: aftertalk {mine['answers_per_s']:.0f}/s "
                f"(p99 {mine['p99_ms']:.0f} ms, open -> last phone {max(propagation) * 1000:.0f} ms), "
                f"bare {theirs['answers_per_s']:.0f}/s; ratio {bursts[-1]['ratio']:.2f}",
                flush=True,
            )
        results["bursts"] = bursts

        # 4. compare each (closed) question's count with what was acknowledged
        lost = {}
        for question_id in ["live", "fetch"] + [f"burst_{n}" for n in range(args.repeats)]:
            counted = (await facilitator.call("GET", f"/questions/{question_id}/count"))["answers"]
            lost[question_id] = {"acknowledged": acknowledged.get(question_id, 0), "counted": counted}
        results["lost"] = lost
        results["server_peak_rss_mb"] = aftertalk.peak_rss_mb()
        await facilitator.call("DELETE", "")
        return results
    finally:
        for phone in phones:
            phone.close()
        aftertalk.stop()
        bare.stop()


def raise_open_files(participants: int) -> int:
    """Raise the soft open-files limit as far as the hard limit allows; return how many phones fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = participants * FDS_PER_PHONE + 200
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return (limit - 200) // FDS_PER_PHONE


def report(results: dict, args) -> str:
    live, fetch, bursts = results["live"], results["fetch"], results["bursts"]
    med = lambda side, key: statistics.median(b[side][key] for b in bursts)  # noqa: E731
    ratio = statistics.median(b["ratio"] for b in bursts)
    busy = lambda side, who: statistics.median(b[side]["busy"][who] for b in bursts)  # noqa: E731
    lost = sum(max(0, q["acknowledged"] - q["counted"]) for q in results["lost"].values())
    extra = sum(max(0, q["counted"] - q["acknowledged"]) for q in results["lost"].values())
    n = results["participants"]
    rows = [
        (
            "phones connected (server's own count)",
            f"{results['join']['server_counts_phones']:,} of {n:,}",
            f"join p50 {results['join']['p50_ms']:.0f} ms, p99 {results['join']['p99_ms']:.0f} ms; "
            f"listen-queue overflows {results['join']['busy']['listen_overflows']}",
        ),
        (
            "open -> last phone sees it (live round)",
            f"{live['open_to_last_phone_s'] * 1000:.0f} ms",
            f"median phone {live['open_to_median_phone_s'] * 1000:.0f} ms; goal under 1,000 ms",
        ),
        (
            "open -> last phone sees it (burst rounds, median)",
            f"{med('aftertalk', 'open_to_last_phone_s') * 1000:.0f} ms",
            "no page fetches competing",
        ),
        (
            f"answer latency, live round (view on the event), answers spread over {args.think:.0f} s",
            f"p50 {live['answer_p50_ms']:.1f} ms",
            f"p99 {live['answer_p99_ms']:.1f} ms (max {live['answer_max_ms']:.0f} ms); goal p99 under 100 ms; "
            f"CPU in cores: server {live['busy']['aftertalk']:.2f}, client {live['busy']['client']:.2f}, "
            f"machine {live['busy']['machine']:.2f}; TCP timeouts {live['busy']['tcp_timeouts']}",
        ),
        (
            "open -> last phone sees it (fetch round)",
            f"{fetch['open_to_last_phone_s'] * 1000:.0f} ms",
            f"GET /current after the event: p50 {fetch['current_p50_ms']:.0f} ms, p99 {fetch['current_p99_ms']:.0f} ms",
        ),
        (
            f"answer latency, fetch round (every phone also GETs /current), over {args.think:.0f} s",
            f"p50 {fetch['answer_p50_ms']:.1f} ms",
            f"p99 {fetch['answer_p99_ms']:.1f} ms (max {fetch['answer_max_ms']:.0f} ms); "
            f"p99 live / fetch = {live['answer_p99_ms'] / fetch['answer_p99_ms']:.2f}; "
            f"CPU in cores: server {fetch['busy']['aftertalk']:.2f}, client {fetch['busy']['client']:.2f}, "
            f"machine {fetch['busy']['machine']:.2f}",
        ),
        (
            "answer latency, all phones at once (median of rounds)",
            f"p50 {med('aftertalk', 'p50_ms'):.0f} ms",
            f"p99 {med('aftertalk', 'p99_ms'):.0f} ms; the bare handler, same burst: p50 {med('bare', 'p50_ms'):.0f} ms, "
            f"p99 {med('bare', 'p99_ms'):.0f} ms (the last of {n:,} answers at once waits for all before it)",
        ),
        (
            "answers per second, aftertalk (burst)",
            f"{med('aftertalk', 'answers_per_s'):.0f}/s",
            f"CPU in cores: server {busy('aftertalk', 'aftertalk'):.2f}, client {busy('aftertalk', 'client'):.2f}, "
            f"whole machine {busy('aftertalk', 'machine'):.2f} of {os.cpu_count()}; "
            f"TCP timeouts {busy('aftertalk', 'tcp_timeouts'):.0f}",
        ),
        (
            "answers per second, bare tornado handler (burst)",
            f"{med('bare', 'answers_per_s'):.0f}/s",
            f"CPU in cores: server {busy('bare', 'bare'):.2f}, client {busy('bare', 'client'):.2f}, "
            f"whole machine {busy('bare', 'machine'):.2f} of {os.cpu_count()}; "
            f"TCP timeouts {busy('bare', 'tcp_timeouts'):.0f}",
        ),
        (
            "aftertalk / bare (median of paired rounds)",
            f"{ratio:.2f}",
            "per round: " + ", ".join(f"{b['ratio']:.2f}" for b in bursts) + "; goal at least 0.50",
        ),
        (
            "server CPU per answer, aftertalk / bare (burst)",
            f"{med('aftertalk', 'server_cpu_ms'):.2f} / {med('bare', 'server_cpu_ms'):.2f} ms",
            f"bare / aftertalk = {statistics.median(b['cpu_ratio'] for b in bursts):.2f}: the throughput ratio "
            "that one saturated core would give, steadier than wall time on a shared machine",
        ),
        ("errors", str(sum(results["errors"].values())), "; ".join(f"{k}: {v}" for k, v in results["errors"].items())),
        ("answers lost (acknowledged, not counted)", str(lost), f"counted but not acknowledged: {extra}"),
        ("server peak memory", f"{results['server_peak_rss_mb']:.0f} MB", ""),
    ]
    lines = ["| what | result | notes |", "|---|---|---|"]
    lines += [f"| {what} | {value} | {notes} |" for what, value, notes in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument(
        "--think", type=float, default=5.0, help="in the live round, phones answer at random over this many seconds"
    )
    parser.add_argument("--repeats", type=int, default=5, help="paired burst rounds (aftertalk, bare)")
    parser.add_argument("--time-limit", type=float, default=600.0, help="stop everything after this long")
    parser.add_argument("--profile", help="run the aftertalk server under cProfile, writing this file")
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument(
        "--server-open-files",
        type=int,
        help="run aftertalk serve with this open-files limit, soft and hard (e.g. 1024, "
        "a laptop's default) instead of the raised one",
    )
    parser.add_argument("--bare-server", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        bare_server(args.bare_server)
        return 0
    if not 1 <= args.participants <= 20000 or not 1 <= args.repeats <= 20:
        parser.error("--participants must be 1..20000 and --repeats 1..20")
    fits = raise_open_files(args.participants)
    if fits < args.participants:
        print(
            f"The open-files limit allows only {fits} phones here (hard limit "
            f"{resource.getrlimit(resource.RLIMIT_NOFILE)[1]}); running with {fits}.",
            file=sys.stderr,
        )
        args.participants = fits
    print(
        f"open-files limit {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}; {args.participants} phones; "
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="aftertalk-load-") as work:
        try:
            results = asyncio.run(asyncio.wait_for(run(args, Path(work)), args.time_limit))
        except asyncio.TimeoutError:
            print(f"stopped: the run took longer than --time-limit {args.time_limit:.0f} s", file=sys.stderr)
            return 1
        log = (Path(work) / "aftertalk-server.log").read_text(errors="replace")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    print()
    print(report(results, args))
    if "Traceback" in log or "ERROR" in log:
        print("\nThe server logged errors:\n" + log[-3000:])
    if args.profile:
        import pstats

        print(f"\nProfile of the aftertalk server (whole run, by internal time): {args.profile}")
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
