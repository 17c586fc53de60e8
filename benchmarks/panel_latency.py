"""Benchmark: chart render time per refresh, and answer-to-panel latency.

Run: .venv/bin/python benchmarks/panel_latency.py   (method and last results: benchmarks/README.md)

1. Render: each chart kind the panel draws (the live "N answers" count and a 14-option multi-select
   chart) is built and encoded to PNG at the panel's dpi, REPEATS times, interleaved with a baseline
   (a bare matplotlib Figure with one 14-bar chart, same size and dpi), so machine noise hits both.
2. Latency: a real poll server process on 127.0.0.1 and a PollPanel with its live thread; a phone
   answers over HTTP, and we time from the HTTP acknowledgement to the panel's count showing it.
   Baseline in the same run: one direct GET of the count endpoint.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from matplotlib.figure import Figure

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
os.environ.setdefault("AFTERTALK_DATA_DIR", tempfile.mkdtemp())

import pandas as pd  # noqa: E402

from aftertalk import Question  # noqa: E402
from aftertalk.notebook import charts
from aftertalk.notebook.panel import PollPanel  # noqa: E402
from conftest import Phone, ServerProcess  # noqa: E402

REPEATS = 30
ANSWERS = 30
DPI = 80  # what the panel uses


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) * 1000


def multi_results() -> pd.DataFrame:
    options = [f"feeling_{i}" for i in range(13)] + ["prefer_not_to_say"]
    counts = [12, 9, 7, 0, 15, 6, 8, 5, 11, 10, 6, 0, 7, 1]
    hidden = [c and (c < 5) for c in counts]
    frame = pd.DataFrame(
        {
            "option": options,
            "label": [o.replace("_", " ").title() for o in options],
            "count": [None if h else c for c, h in zip(counts, hidden)],
            "share": [None if h else c / 30 for c, h in zip(counts, hidden)],
            "hidden": hidden,
            "shown_as": ["fewer than 5" if h else str(c) for c, h in zip(counts, hidden)],
        }
    )
    frame.attrs.update(
        {
            "question_id": "feelings",
            "text": "Which of these have you ever felt after sex?",
            "kind": "multi",
            "n": 30,
            "privacy": "direct",
        }
    )
    return frame


def baseline_figure() -> Figure:
    figure = Figure(figsize=(charts.FIGURE_WIDTH, charts.FIGURE_HEIGHT))
    figure.add_subplot().barh(range(14), range(14))
    return figure


def render_benchmark() -> dict:
    results = multi_results()
    rows = {"live count": [], "multi chart": [], "baseline": []}
    for _ in range(REPEATS):
        rows["live count"].append(timed(lambda: charts.figure_png(charts.live_count("12 answers", "x"), dpi=DPI)))
        rows["multi chart"].append(timed(lambda: charts.figure_png(charts.room_chart(results), dpi=DPI)))
        rows["baseline"].append(timed(lambda: charts.figure_png(baseline_figure(), dpi=DPI)))
    return rows


def latency_benchmark() -> dict:
    server = ServerProcess(Path(tempfile.mkdtemp()) / "data").start()
    try:
        room = server.create_room()
        question = Question.from_dict({"id": "bench", "text": "Benchmark?", "kind": "yesno"})
        panel = PollPanel(room, question)
        panel.open_poll()
        to_panel, direct = [], []
        for n in range(ANSWERS):
            Phone(server, room.code, f"bench-{n}").answer("bench", ["yes"])
            acknowledged = time.perf_counter()
            while panel._last_count != n + 1:
                time.sleep(0.001)
            to_panel.append((time.perf_counter() - acknowledged) * 1000)
            direct.append(timed(lambda: room.count("bench")))
            time.sleep(0.137)  # answers arrive at unrelated moments of the refresh cycle
        panel.close_and_reveal()
        return {"answer to panel": to_panel, "direct count GET": direct}
    finally:
        server.stop()


def report(title: str, rows: dict, baseline: str) -> None:
    print(f"\n{title}")
    base = statistics.median(rows[baseline])
    for name, values in rows.items():
        values = sorted(values)
        print(
            f"  {name:18} median {statistics.median(values):7.1f} ms   p90 {values[int(len(values) * 0.9) - 1]:7.1f} ms"
            f"   max {values[-1]:7.1f} ms   ratio to {baseline}: {statistics.median(values) / base:5.2f}"
        )


if __name__ == "__main__":
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores; {REPEATS} renders, {ANSWERS} answers")
    report("Chart render + PNG encode, per refresh (goal: under 150 ms)", render_benchmark(), "baseline")
    report(
        "Answer acknowledged -> panel count shows it (goal: under 1,500 ms)", latency_benchmark(), "direct count GET"
    )
