"""The notebook side's one way to talk to the poll server: a JSON request with the room's token, and
`RoomError` for every refusal or failure, with the server's own message.

It sits apart from `client.Room` so that the widgets (panel.py) and the local server's lifecycle
(local_server.py) can use it without importing the Room that creates them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 10


class RoomError(RuntimeError):
    """The poll server refused a request or could not be reached; the message says why."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def request_json(method: str, url: str, *, token: str | None = None, body=None) -> dict:
    """One JSON request to the poll server; errors become `RoomError` with the server's message."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            message = json.loads(error.read()).get("error") or error.reason
        except ValueError:
            message = error.reason
        raise RoomError(message, status=error.code) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise RoomError(
            f"Cannot reach the poll server at {url.split('/api/')[0]} ({reason}). "
            "Is it running? `aftertalk.room()` starts one on this laptop."
        ) from None
