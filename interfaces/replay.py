"""A day of the hospital's ADT messages, sent through a real MLLP listener: for the demo (`seed_demo --adt-replay`)
and the benchmark (bench/adt.py). Synthetic people only: NHS numbers from the 999 test range."""

import asyncio
import datetime
import socket
import threading
import time
from contextlib import contextmanager

from django.utils import timezone

from interfaces.listener import serve

START, END = b"\x0b", b"\x1c\x0d"
GIVEN = ["ADA", "BERT", "CORA", "DENNIS", "EDNA", "FRANK", "GWEN", "HAROLD", "IRIS", "JACK"]
FAMILY = ["SMITH", "PATEL", "JONES", "KAUR", "WILLIAMS", "BROWN", "SINGH", "TAYLOR", "KHAN", "DAVIES"]


def _ts(moment):
    return timezone.localtime(moment).strftime("%Y%m%d%H%M%S")


def adt_message(event, control_id, *, visit, ward, nhs_number, at, person, destination="", phone=""):
    """One ADT message as the hospital's PAS would send it (segments separated by carriage returns); `person` is
    (family name, given name, date of birth, postcode)."""
    family, given, born, postcode = person
    pv1 = ["PV1", "1", "I", f"{ward}^^^UHCW", *[""] * 15, visit, *[""] * 16, destination, *[""] * 7]
    pv1 += [_ts(at) if event == "A01" else "", _ts(at) if event == "A03" else ""]
    return "\r".join(
        [
            f"MSH|^~\\&|PAS|UHCW|OCIT|OCIT|{_ts(at)}||ADT^{event}^ADT_{event}|{control_id}|P|2.4",
            f"EVN|{event}|{_ts(at)}",
            f"PID|1||{control_id}^^^UHCW^MR~{nhs_number}^^^NHS^NH||{family}^{given}^^^||{born:%Y%m%d}|U|||"
            f"1 Demo Road^^Coventry^^{postcode}||{phone}",
            "|".join(pv1),
        ]
    )


def day_of_messages(*, rng, nhs_numbers, wards, postcodes, since, until, admissions, prefix="D"):
    """Admissions spread over [since, until], each perhaps moved to another ward and perhaps discharged later
    the same day (to another hospital: the only destination that needs no pathway); then what a real feed also
    sends: a duplicate, an update, a discharge that arrives before its admission, and a ward nobody has mapped."""
    events = []
    span = (until - since).total_seconds()
    for number in range(admissions):
        person = (
            rng.choice(FAMILY),
            rng.choice(GIVEN),
            datetime.date(rng.randint(1925, 1960), rng.randint(1, 12), rng.randint(1, 28)),
            rng.choice(postcodes),
        )
        visit, nhs_number = f"{prefix}{number:06d}", next(nhs_numbers)
        admitted = since + datetime.timedelta(seconds=rng.uniform(0, span * 0.8))
        ward = rng.choice(wards)
        common = {"visit": visit, "nhs_number": nhs_number, "person": person}
        events.append((admitted, "A01", {**common, "ward": ward}))
        later = admitted + datetime.timedelta(seconds=rng.uniform(600, 3600))
        if rng.random() < 0.3 and later < until:
            ward = rng.choice([other for other in wards if other != ward] or wards)
            events.append((later, "A02", {**common, "ward": ward}))
        if rng.random() < 0.15 and later + datetime.timedelta(hours=1) < until:
            discharged = later + datetime.timedelta(hours=1)
            events.append((discharged, "A03", {**common, "ward": ward, "destination": "51"}))
    events.sort(key=lambda event: event[0])
    messages = [
        adt_message(event, f"{prefix}{index:07d}", at=at, **fields) for index, (at, event, fields) in enumerate(events)
    ]
    if len(messages) > 3:
        messages.append(messages[0])  # sent again: acknowledged, not applied twice
        late_discharge = next((m for m in messages if "|ADT^A03" in m), None)
        if late_discharge is not None:  # this A03 also arrives before its A01, at the front of the day
            messages.remove(late_discharge)
            messages.insert(0, late_discharge)
        at, _, fields = events[0]
        messages.append(
            adt_message("A01", f"{prefix}UNMAPPED", at=at, **{**fields, "visit": f"{prefix}X", "ward": "ZZ9"})
        )
    return messages


@contextmanager
def running_listener():
    """The MLLP listener on a free port, in its own thread and event loop: yields the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ready, loop = threading.Event(), asyncio.new_event_loop()
    task = loop.create_task(serve("127.0.0.1", port, ready))
    thread = threading.Thread(target=lambda: loop.run_until_complete(asyncio.gather(task, return_exceptions=True)))
    thread.start()
    try:
        if not ready.wait(10):
            raise RuntimeError("the ADT listener did not start")
        yield port
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(10)


def ack_code(answer):
    """AA, AE or AR: MSA-1 of an ACK."""
    return next(line for line in answer.split("\r") if line.startswith("MSA")).split("|")[1]


def send_all(messages, port, host="127.0.0.1"):
    """Send each message down one MLLP connection and wait for its ACK: [(the ACK, seconds to it)]."""
    results = []
    with socket.create_connection((host, port), timeout=60) as connection:
        for message in messages:
            started = time.perf_counter()
            connection.sendall(START + message.encode() + END)
            data = b""
            while not data.endswith(END):
                chunk = connection.recv(65536)
                if not chunk:
                    raise ConnectionError("the listener closed the connection")
                data += chunk
            results.append((data.removeprefix(START).removesuffix(END).decode(), time.perf_counter() - started))
    return results
