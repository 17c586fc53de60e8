"""`aftertalk serve | check | new-lesson`: a thin shell over the library.

Exit status: 0 when the command did its work (for `check`: nothing failed; warnings are allowed),
1 when it found problems or refused (`check` failures, `new-lesson` refusing), 2 when it could not start
(a bad option, a folder that is not a kit, a port that cannot be used).
"""
from __future__ import annotations

import argparse
import errno
import sqlite3
import sys

from . import store

DEFAULT_PORT = 8765


def serve(args) -> int:
    from . import server
    try:
        server.run(host=args.host, port=args.port, data_dir=args.data_dir, public_url=args.public_url)
    except sqlite3.Error as error:
        print(f"aftertalk serve: cannot use the room database in {args.data_dir} ({error}). Is the folder "
              "writable and is there free space? Choose another folder with --data-dir.", file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.ENOENT) and error.filename:
            print(f"aftertalk serve: cannot write to {error.filename} ({error.strerror}). "
                  "Choose a writable folder with --data-dir.", file=sys.stderr)
            return 2
        if error.errno == errno.EADDRINUSE:
            print(f"aftertalk serve: port {args.port} is already in use. Another Aftertalk server may be "
                  "running; stop it, or choose another port with --port.", file=sys.stderr)
            return 2
        if error.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
            print(f"aftertalk serve: cannot listen on {args.host}:{args.port} ({error.strerror}). "
                  "Check --host and --port.", file=sys.stderr)
            return 2
        raise
    return 0


def check(args) -> int:
    from .checks import KitNotFound, check_kit
    try:
        report = check_kit(args.path)
    except KitNotFound as error:
        print(f"aftertalk check: {error}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    return 1 if report.failed else 0


def new_lesson(args) -> int:
    from .checks import KitNotFound, shown_path
    from .lessons import LessonError, create_lesson
    try:
        lesson = create_lesson(args.title, kit=args.kit)
    except KitNotFound as error:
        print(f"aftertalk new-lesson: {error}", file=sys.stderr)
        return 2
    except LessonError as error:
        print(f"aftertalk new-lesson: {error}", file=sys.stderr)
        return 1
    print(f"Created {shown_path(lesson.notebook)} and {shown_path(lesson.questions)}, "
          f"with the example poll '{lesson.question_id}'.")
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
    serve_parser.add_argument("--host", default="0.0.0.0",
                              help="address to listen on (default 0.0.0.0: phones on this network can join)")
    serve_parser.add_argument("--port", type=port_number, default=DEFAULT_PORT,
                              help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)")
    serve_parser.add_argument("--data-dir", default=str(store.default_data_dir()),
                              help="folder for the room database (default $AFTERTALK_DATA_DIR or ~/.aftertalk)")
    serve_parser.add_argument("--public-url", default=None,
                              help="the URL phones use, when the server sits behind another address")
    serve_parser.set_defaults(handler=serve)

    check_parser = commands.add_parser(
        "check", help="check a kit (question bank, notebooks, reference data) and this laptop's network",
        description="Check the question bank, the notebooks, the reference data and this laptop's "
                    "network. Prints each problem as FILE:LINE: what is wrong; what to do. Exit status: "
                    "0 when nothing failed (warnings allowed), 1 when something failed, 2 when PATH is "
                    "not a kit.")
    check_parser.add_argument("path", nargs="?", default=None, metavar="PATH",
                              help="the kit folder, holding data/ and notebooks/ (default: the kit this "
                                   "Aftertalk is installed from)")
    check_parser.set_defaults(handler=check)

    lesson_parser = commands.add_parser(
        "new-lesson", help="start a new lesson: the next numbered notebook and its question file",
        description="Create notebooks/NN_slug.ipynb from the lesson template and data/questions/NN_slug.yaml "
                    "with an example poll. Never overwrites a file.")
    lesson_parser.add_argument("title", metavar="TITLE", help='the lesson\'s title, e.g. "Consent and checking in"')
    lesson_parser.add_argument("--kit", default=None, metavar="PATH",
                               help="the kit folder to add the lesson to (default: the kit this Aftertalk "
                                    "is installed from)")
    lesson_parser.set_defaults(handler=new_lesson)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
