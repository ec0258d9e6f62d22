"""The ADT feed's throughput: 10,000 messages (a day's admissions, moves and discharges, and what a real feed also
sends) through the MLLP listener into the seeded database, one connection, each waiting for its ACK as an
integration engine does; against the floor, parsing the same messages alone (python-hl7)."""

import random
import statistics
import time

MESSAGES = 10_000


def run(emit, scale):
    import datetime

    import hl7
    from django.utils import timezone

    from caseload.models import Locality
    from discharge.models import Ward
    from interfaces import replay
    from ocit.identifiers import synthetic_nhs_numbers

    now = timezone.now()
    wards = list(Ward.objects.filter(is_active=True).values_list("code", flat=True))
    postcodes = [f"{district} 1AA" for district in Locality.objects.values_list("postcode_district", flat=True)]
    messages = replay.day_of_messages(
        rng=random.Random(2024),
        nhs_numbers=synthetic_nhs_numbers(start=800_000),
        wards=wards,
        postcodes=postcodes,
        since=now - datetime.timedelta(hours=23),
        until=now,
        admissions=int(MESSAGES / 1.45),  # with moves and discharges, about 10,000 messages
        prefix="B",
    )[:MESSAGES]

    started = time.perf_counter()
    for message in messages:
        hl7.parse(message)
    parsing = time.perf_counter() - started

    with replay.running_listener() as port:
        started = time.perf_counter()
        results = replay.send_all(messages, port)
        elapsed = time.perf_counter() - started
    latencies = sorted(seconds for _, seconds in results)
    emit("adt_messages", len(results), "messages", scale)
    emit("adt_messages_per_second", round(len(results) / elapsed, 1), "messages/s", scale)
    emit("adt_ack_p50", round(statistics.median(latencies) * 1000, 2), "ms", scale)
    emit("adt_ack_p99", round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2), "ms", scale)
    emit("adt_parse_only_per_second", round(len(messages) / parsing, 1), "messages/s", scale)
    emit("adt_share_of_parse_only", round((len(results) / elapsed) / (len(messages) / parsing) * 100, 2), "%", scale)
    acks = [replay.ack_code(answer) for answer, _ in results]
    codes = {code: acks.count(code) for code in ("AA", "AE", "AR")}
    emit("adt_acks", codes, "count", scale)
