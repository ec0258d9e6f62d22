"""Request body parsers for the API (kept apart from ocit.api: DRF's views import these while loading)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 20  # the deepest a request body needs is 3 (a referral's new patient)


class JSONParser(parsers.JSONParser):
    """JSON no deeper than MAX_DEPTH (a body nested a thousand levels deep is a 400, not a RecursionError), and
    text without the NUL character, which PostgreSQL cannot store or look up (a 400, not a database error)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
        else:
            problem = _problem(data)
            if problem is None:
                return data
            raise ParseError(problem)
        raise ParseError(f"The JSON is nested too deeply: at most {MAX_DEPTH} levels.")


def _problem(data):
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return "Text may not contain the NUL character (\\u0000)."
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                return f"The JSON is nested too deeply: at most {MAX_DEPTH} levels."
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
    return None
