"""The API's pages (DEFAULT_PAGINATION_CLASS): its own module, as DRF imports it while building every view."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Pages of 50. A page that is not a whole number (or is sent empty) is bad input (400); one past the last is
    not found (404)."""

    def get_page_number(self, request, paginator):
        number = request.query_params.get(self.page_query_param)
        if number is not None and not number.isdecimal():
            raise ValidationError({self.page_query_param: ["Send a page number (1, 2, …), or leave it out."]})
        return super().get_page_number(request, paginator)
