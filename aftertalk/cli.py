"""`aftertalk serve | ...`: a thin shell over the library."""
from __future__ import annotations

import argparse
import errno
import sys

from . import store

DEFAULT_PORT = 8765


def serve(args) -> int:
    from . import server
    try:
        server.run(host=args.host, port=args.port, data_dir=args.data_dir, public_url=args.public_url)
    except OSError as error:
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
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
