"""What leaves the system as a spreadsheet: text that a spreadsheet would run as a formula is written so it cannot."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """Text beginning like a formula (`= + - @`, a tab or a carriage return) gets a leading apostrophe, the OWASP
    advice against formula injection; numbers, dates and other text go out as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def row(values):
    return [cell(value) for value in values]
