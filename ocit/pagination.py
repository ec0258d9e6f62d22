"""The API's pages (DEFAULT_PAGINATION_CLASS): its own module, as DRF imports it while building every view."""

import base64

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

INVALID_CURSOR = "Send the cursor from a page's next or previous link, unchanged, or leave it out."


class Pagination(CursorPagination):
    """Pages of 50 by keyset (cursor): each page continues from where the last one ended, through the index of the
    list's own ordering, so a page costs the same however long the list is (there is no total count: counting every
    row would scan them all). Follow `next` and `previous`; a cursor that is not one of those is bad input (400).

    The ordering is the queryset's own (`order_by`), whose first field must be unchanging and nearly unique (a
    time, an id, a code): the cursor holds its value, and an offset past rows that share it.
    """

    page_size = 50

    def get_ordering(self, request, queryset, view):
        return tuple(queryset.query.order_by or queryset.model._meta.ordering or ("pk",))

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            if encoded is not None:  # strictly base64 and not empty (DRF's own decoding skips stray characters)
                base64.b64decode(encoded or "=", validate=True)
            return super().decode_cursor(request)
        except (ValueError, NotFound) as invalid:
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]}) from invalid

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError) as invalid:  # a position edited into one its field cannot hold
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]}) from invalid
