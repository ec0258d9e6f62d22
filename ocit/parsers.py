"""Request body parsers for the API (kept apart from ocit.api: DRF's views import these while loading)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 20  # the deepest a request body needs is 3 (a referral's new patient)


class JSONParser(parsers.JSONParser):
    """JSON no deeper than MAX_DEPTH: a body nested a thousand levels deep is a 400, not a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
        else:
            if not _deeper_than(data, MAX_DEPTH):
                return data
        raise ParseError(f"The JSON is nested too deeply: at most {MAX_DEPTH} levels.")


def _deeper_than(data, limit):
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return False
