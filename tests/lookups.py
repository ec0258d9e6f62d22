"""Names a page's template reads that its objects do not have. Django's template engine tries each name as a key,
then as an attribute; when both fail it builds a dir() of the object, then tries the name as a number (`clock.0`),
and only then gives up: twenty-odd microseconds each, hundreds on a page of rows that miss a key or two each."""

import builtins
import contextlib
import sys

from django.template import Context, Template, base


@contextlib.contextmanager
def slow_lookups(monkeypatch):
    """Yields the list of the names (`row.error`, `clock.0`) that fell through to dir() while the block ran."""
    names = []

    def recorded_dir(obj):
        names.append(sys._getframe(1).f_locals["self"].var)
        return builtins.dir(obj)

    monkeypatch.setattr(base, "dir", recorded_dir, raising=False)
    # The engine must still call dir() where a name is not found, or nothing here could fail.
    Template("{{ pair.0 }}{{ row.missing }}").render(Context({"pair": ("a", "b"), "row": {}}))
    assert names == ["pair.0", "row.missing"], names
    names.clear()
    yield names
