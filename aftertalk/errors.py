"""Errors that carry a message for the person who will read it, and the HTTP status that fits."""


class AftertalkError(Exception):
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(AftertalkError):
    status = 400


class NotFound(AftertalkError):
    status = 404


class Conflict(AftertalkError):
    status = 409


class Unavailable(AftertalkError):
    """The store cannot take writes (disk full, read-only): refuse rather than acknowledge and lose."""

    status = 503
