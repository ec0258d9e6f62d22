"""Domain errors raised by services; views show the message, the API answers 400/409 with it."""

from rest_framework import status


class DomainError(Exception):
    http_status = status.HTTP_400_BAD_REQUEST

    def __init__(self, message, **details):
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self):
        return {"detail": self.message, **self.details}


class Conflict(DomainError):
    """The record changed since the user opened it, or the move is not allowed from its current state."""

    http_status = status.HTTP_409_CONFLICT


class Unavailable(DomainError):
    """Something the request needs (the task queue) is not answering: nothing was done; try again later."""

    http_status = status.HTTP_503_SERVICE_UNAVAILABLE
