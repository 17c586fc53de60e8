"""`aftertalk workshop | serve | stop | check | new-lesson`: a thin shell over the library.

Exit status: 0 when the command did its work (for `check`: nothing failed; warnings are allowed),
1 when it found problems or refused (`check` failures, `new-lesson` refusing), 2 when it could not start
(a bad option, a folder that is not a kit, a port that cannot be used).
"""

from __future__ import annotations

import argparse
import errno
import os
import sqlite3
import sys
from pathlib import Path

from aftertalk.network import DEFAULT_PORT
from aftertalk.notebook.workshop import JUPYTER_PORT  # stdlib only: cheap to import for --help
from aftertalk.paths import default_data_dir


def serve(args) -> int:
    from aftertalk.server import process as server

    try:
        server.run(
            host=args.host,
            port=args.port,
            data_dir=args.data_dir,
            public_url=args.public_url,
            exit_when_rooms_end=args.exit_when_rooms_end,
        )
    except sqlite3.Error as error:
        print(
            f"aftertalk serve: cannot use the room database in {args.data_dir} ({error}). Is the folder "
            "writable and is there free space? Choose another folder with --data-dir.",
            file=sys.stderr,
        )
        return 2
    except OSError as error:
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.ENOENT) and error.filename:
            print(
                f"aftertalk serve: cannot write to {error.filename} ({error.strerror}). "
                "Choose a writable folder with --data-dir.",
                file=sys.stderr,
            )
            return 2
        if error.errno == errno.EADDRINUSE:
            print(
                f"aftertalk serve: port {args.port} is already in use. Another Aftertalk server may be "
                "running; stop it, or choose another port with --port.",
                file=sys.stderr,
            )
            return 2
        if error.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
            print(
                f"aftertalk serve: cannot listen on {args.host}:{args.port} ({error.strerror}). "
                "Check --host and --port.",
                file=sys.stderr,
            )
            return 2
        raise
    return 0


def workshop(args) -> int:
    from aftertalk.notebook.workshop import WorkshopError, run

    kit, first_line = kit_line("Opening", args.kit)
    print(first_line, flush=True)
    try:
        return run(kit, port=args.port, open_browser=not args.no_browser)
    except WorkshopError as error:
        print(f"aftertalk workshop: {error}", file=sys.stderr)
        return 2


def stop(args) -> int:
    from aftertalk.notebook.local_server import stop_servers

    stopped = stop_servers(Path(args.data_dir) if args.data_dir else None)
    for url in stopped:
        print(f"Stopped the poll server at {url}.")
    if not stopped:
        print("No Aftertalk poll server is running on this laptop.")
    return 0


def kit_line(verb: str, given) -> tuple[Path, str]:
    """The kit a command works on, and its first line of output, which says which kit that is."""
    from aftertalk.paths import find_kit

    kit, how = find_kit(given)
    return kit, f"{verb} the kit in {kit.resolve()} ({how})."


def check(args) -> int:
    from aftertalk.kit.lint import KitNotFound, check_kit

    kit, first_line = kit_line("Checking", args.path)
    print(first_line, flush=True)
    try:
        report = check_kit(kit)
    except KitNotFound as error:
        print(f"aftertalk check: {error}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    return 1 if report.failed else 0


def new_lesson(args) -> int:
    from aftertalk.kit.lessons import LessonError, create_lesson
    from aftertalk.kit.lint import KitNotFound, shown_path

    kit, first_line = kit_line("Adding a lesson to", args.kit)
    print(first_line, flush=True)
    try:
        lesson = create_lesson(args.title, kit=kit)
    except KitNotFound as error:
        print(f"aftertalk new-lesson: {error}", file=sys.stderr)
        return 2
    except LessonError as error:
        print(f"aftertalk new-lesson: {error}", file=sys.stderr)
        return 1
    print(
        f"Created {shown_path(lesson.notebook)} and {shown_path(lesson.questions)}, "
        f"with the example poll '{lesson.question_id}'."
    )
    print("Next: write the lesson in the notebook, replace the example question, then run aftertalk check.")
    return 0


def port_number(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number (0-65535; 0 picks a free port)")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aftertalk", description="Aftertalk workshop kit.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve_parser = commands.add_parser("serve", help="run the poll server that phones connect to")
    serve_parser.add_argument(
        "--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0: phones on this network can join)"
    )
    serve_parser.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    serve_parser.add_argument(
        "--data-dir",
        default=str(default_data_dir()),
        help="folder for the room database (default $AFTERTALK_DATA_DIR or ~/.aftertalk)",
    )
    serve_parser.add_argument(
        "--public-url", default=None, help="the URL phones use, when the server sits behind another address"
    )
    serve_parser.add_argument(
        "--exit-when-rooms-end",
        action="store_true",
        help="stop when the last room has ended (what the notebook's background server does)",
    )
    serve_parser.set_defaults(handler=serve)

    workshop_parser = commands.add_parser(
        "workshop",
        help="start JupyterLab with the kit's lessons, on this laptop only (127.0.0.1)",
        description="Start JupyterLab on 127.0.0.1 with the kit's notebooks and open it in the browser. "
        "Works as root too (it passes JupyterLab's --allow-root). Ctrl-C stops JupyterLab and the "
        "poll server.",
    )
    workshop_parser.add_argument(
        "--kit",
        default=None,
        metavar="PATH",
        help="the kit folder (default: the kit in the current folder, else the one this Aftertalk is installed from)",
    )
    workshop_parser.add_argument(
        "--port",
        type=port_number,
        default=JUPYTER_PORT,
        help=f"JupyterLab's port on 127.0.0.1 (default {JUPYTER_PORT}, or the next free one)",
    )
    workshop_parser.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    workshop_parser.set_defaults(handler=workshop)

    stop_parser = commands.add_parser(
        "stop",
        help="stop this laptop's poll server (it also stops by itself when the last room ends)",
        description="Stop the poll servers this laptop runs: the one `aftertalk.room()` started in the "
        "background, and one started with `aftertalk serve` on the default data folder. Rooms "
        "are kept: `aftertalk.room()` starts the server again and reattaches.",
    )
    stop_parser.add_argument(
        "--data-dir",
        default=None,
        help="the data folder of the server to stop (default $AFTERTALK_DATA_DIR or ~/.aftertalk)",
    )
    stop_parser.set_defaults(handler=stop)

    check_parser = commands.add_parser(
        "check",
        help="check a kit (question bank, notebooks, reference data) and this laptop's network",
        description="Check the question bank, the notebooks, the reference data and this laptop's "
        "network. Prints each problem as FILE:LINE: what is wrong; what to do. Exit status: "
        "0 when nothing failed (warnings allowed), 1 when something failed, 2 when PATH is "
        "not a kit.",
    )
    check_parser.add_argument(
        "path",
        nargs="?",
        default=None,
        metavar="PATH",
        help="the kit folder, holding data/ and notebooks/ (default: the kit in the "
        "current folder, else the one this Aftertalk is installed from)",
    )
    check_parser.set_defaults(handler=check)

    lesson_parser = commands.add_parser(
        "new-lesson",
        help="start a new lesson: the next numbered notebook and its question file",
        description="Create notebooks/NN_slug.ipynb from the lesson template and data/questions/NN_slug.yaml "
        "with an example poll. Never overwrites a file.",
    )
    lesson_parser.add_argument("title", metavar="TITLE", help='the lesson\'s title, e.g. "Consent and checking in"')
    lesson_parser.add_argument(
        "--kit",
        default=None,
        metavar="PATH",
        help="the kit folder to add the lesson to (default: the kit in the current "
        "folder, else the one this Aftertalk is installed from)",
    )
    lesson_parser.set_defaults(handler=new_lesson)
    return parser


def main(argv=None) -> int:
    """Run one command. Whatever stops it, the facilitator reads one line, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print(f"aftertalk {args.command}: stopped (Ctrl-C).", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `aftertalk check | head`: the reader has gone, so say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        print(f"aftertalk {args.command}: {error.strerror or error}{where}.", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
