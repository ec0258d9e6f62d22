"""Clocks that run in elapsed time: a 2-hour response standard is 2 real hours, whatever the wall clock does.

Instants are stored and compared in UTC. A duration is added to the UTC instant, never to a local
wall-clock time: a `datetime` in Europe/London plus a `timedelta` moves the wall clock, so across the
spring clock change it gives an hour too many and across the autumn one an hour too few.
"""

import datetime


def after(instant, *, hours=0, minutes=0):
    """The instant a given elapsed time after `instant`, in UTC."""
    return instant.astimezone(datetime.UTC) + datetime.timedelta(hours=hours, minutes=minutes)
