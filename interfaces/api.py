"""`POST /api/v1/hl7/`: one HL7 v2 ADT message for an integration engine that speaks HTTP rather than MLLP. The answer
is the ACK (200, whatever its code: AA, AE or AR is the HL7 answer, not an HTTP error)."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import parsers, renderers
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from interfaces import adt
from ocit.roles import Capability

HL7 = "application/hl7-v2"
LARGEST = 1024 * 1024


class HL7Parser(parsers.BaseParser):
    media_type = HL7

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read(LARGEST + 1) if stream is not None else b""
        if len(body) > LARGEST:
            raise ParseError("An HL7 message over a megabyte is not an ADT message.")
        return body.decode("utf-8", errors="replace")


class PlainHL7Parser(HL7Parser):
    media_type = "text/plain"


class HL7Renderer(renderers.BaseRenderer):
    media_type = HL7
    format = "hl7"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode("utf-8") if isinstance(data, str) else renderers.JSONRenderer().render(data)


class HL7View(APIView):
    permission_classes = [Capability.of("hl7.send")]
    parser_classes = [HL7Parser, PlainHL7Parser]
    renderer_classes = [HL7Renderer, renderers.JSONRenderer]

    @extend_schema(
        operation_id="hl7_receive",
        request={HL7: {"type": "string"}, "text/plain": {"type": "string"}},
        responses={
            200: OpenApiResponse(response={"type": "string"}, description="The ACK: MSH, MSA and, unless AA, ERR.")
        },
        examples=[
            OpenApiExample(
                "A01",
                request_only=True,
                value="MSH|^~\\&|PAS|UHCW|OCIT|OCIT|20261126101500||ADT^A01|MSG0001|P|2.4\rEVN|A01|20261126101400\r…",
            )
        ],
        description="Send one HL7 v2 ADT message (A01, A02, A03, A08; A04 and A05 are taken and not needed). The "
        "interface account only.",
    )
    def post(self, request):
        body = request.data if isinstance(request.data, str) else ""
        return Response(adt.receive(body, transport="http", actor=request.user), content_type=HL7)
