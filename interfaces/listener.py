"""The MLLP listener: HL7 v2 over TCP, each message framed <VT> … <FS><CR> (python-hl7's asyncio streams). Each
connection's messages are read, applied and acknowledged one after another, in the order they arrive; the database
work runs in one thread (sync_to_async), so two connections never apply messages at the same moment either."""

import asyncio
import logging

from asgiref.sync import sync_to_async
from hl7.mllp import InvalidBlockError, start_hl7_server

from interfaces import adt

log = logging.getLogger(__name__)
ENCODING = "utf-8"


@sync_to_async
def _receive(raw):
    try:
        return adt.receive(raw, transport="mllp")
    finally:
        from django.db import close_old_connections

        close_old_connections()


async def _client(reader, writer):
    try:
        while True:
            try:
                block = await reader.readblock()
            except InvalidBlockError:
                writer.writeblock(adt.ack("", "AR", "Not an MLLP block: <VT> message <FS><CR>.", "100").encode())
                await writer.drain()
                continue
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            answer = await _receive(block.decode(ENCODING, errors="replace"))
            writer.writeblock(answer.encode(ENCODING))
            await writer.drain()
    finally:
        writer.close()


async def serve(host, port, ready=None):
    """Listen until cancelled; `ready` (a threading.Event) is set once it is listening. Blocks are read raw
    (`readblock`), not parsed by the stream, so a message that does not parse still gets an ACK (AR)."""
    server = await start_hl7_server(_client, host, port)
    log.info("ADT listener on %s:%s", host, port)
    if ready is not None:
        ready.set()
    async with server:
        await server.serve_forever()
