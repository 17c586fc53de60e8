"""The poll server's tornado application: the participant pages and the facilitator API, each module
with its own routes (participant.py, facilitator.py), sharing one `AppState`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import tornado.template
import tornado.web

from aftertalk.server import facilitator, participant
from aftertalk.server.base import AppState
from aftertalk.server.group_commit import GroupCommit
from aftertalk.server.live import RoomEvents

WEB_DIR = Path(__file__).with_name("web")


def create_app(
    db,
    *,
    admin_token: str,
    join_base_url: str,
    shut_down: Callable[[], None] = lambda: None,
    exit_when_rooms_end: bool = False,
) -> tornado.web.Application:
    """The tornado application serving both the participants and the facilitator API.

    `shut_down` stops the process (after the current reply); with `exit_when_rooms_end`, ending the last
    room calls it.
    """
    state = AppState(
        db=db,
        events=RoomEvents(),
        admin_token=admin_token,
        join_base_url=join_base_url.rstrip("/"),
        answers=GroupCommit(db),
        shut_down=shut_down,
        exit_when_rooms_end=exit_when_rooms_end,
    )
    routes = participant.routes + facilitator.routes  # phones first: a thousand of them
    return tornado.web.Application(
        [(pattern, handler, {"state": state}) for pattern, handler in routes],
        static_path=str(WEB_DIR / "static"),
        template_loader=tornado.template.Loader(str(WEB_DIR)),
        log_function=lambda handler: None,  # no access log: it would record who asked what, when
        default_handler_class=participant.NotFoundPage,
        default_handler_args={"state": state},
        xsrf_cookies=False,
    )
