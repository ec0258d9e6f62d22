import asyncio
import contextlib

from django.conf import settings
from django.core.management.base import BaseCommand

from interfaces.listener import serve


class Command(BaseCommand):
    help = "Listen for the hospital's HL7 v2 ADT messages over MLLP, and acknowledge each."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 -- a container's port, published by compose
        parser.add_argument("--port", type=int, default=settings.ADT_LISTENER_PORT)

    def handle(self, *args, host, port, **options):
        self.stdout.write(f"Listening for ADT messages (MLLP) on {host}:{port}")
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(host, port))
