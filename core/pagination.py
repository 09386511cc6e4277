"""Page-number pagination of the API: ``count``, ``next``, ``previous``, ``results``.

:class:`StandardPagination` is every list's (``?page=``, ``?page_size=`` up to 500).
:class:`CappedCountPagination` is for tables that grow without bound (shifts): its ``count``
is exact up to :attr:`~CappedCountPagination.count_cap` rows and ``null`` beyond, so that a
page never counts 200,000 rows (about 40 ms on PostgreSQL, which counts by reading them, and
still 5 to 20 ms for 10,000); ``next`` and ``previous`` stay exact, from one extra row
fetched with the page.
"""

from django.core.paginator import InvalidPage
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class StandardPagination(PageNumberPagination):
    """Page-number pagination; clients may ask for up to 500 rows with ?page_size=."""

    page_size_query_param = "page_size"
    max_page_size = 500


class CappedCountPagination(StandardPagination):
    """Like :class:`StandardPagination`, but ``count`` is ``null`` past ``count_cap`` rows.

    Costs two queries whatever the number of rows: the page (plus one row, telling whether
    a next page exists) and ``SELECT COUNT(*)`` over at most ``count_cap + 1`` rows.
    ``?page=last`` needs the exact number of pages, so it counts every row, as before.
    """

    count_cap = 1_000

    def paginate_queryset(self, queryset, request, view=None):
        page_number = request.query_params.get(self.page_query_param) or 1
        if page_number in self.last_page_strings:
            self.capped = False
            return super().paginate_queryset(queryset, request, view)
        self.capped = True
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        try:
            number = int(page_number)
            if number < 1:
                raise InvalidPage("That page number is less than 1")
        except (TypeError, ValueError, InvalidPage) as exc:
            message = str(exc) if isinstance(exc, InvalidPage) else "Not an integer"
            raise NotFound(
                self.invalid_page_message.format(page_number=page_number, message=message)
            ) from None
        offset = (number - 1) * page_size
        rows = list(queryset[offset : offset + page_size + 1])
        if not rows and number > 1:
            raise NotFound(
                self.invalid_page_message.format(
                    page_number=page_number, message="That page contains no results"
                )
            )
        self.number, self.has_next = number, len(rows) > page_size
        counted = queryset.order_by()[: self.count_cap + 1].count()
        self.count = counted if counted <= self.count_cap else None
        return rows[:page_size]

    def get_next_link(self):
        if not self.capped:
            return super().get_next_link()
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.page_query_param, self.number + 1)

    def get_previous_link(self):
        if not self.capped:
            return super().get_previous_link()
        if self.number == 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response(self, data):
        if not self.capped:
            return super().get_paginated_response(data)
        return Response(
            {
                "count": self.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["count"] = {
            "type": "integer",
            "nullable": True,
            "example": 123,
            "description": f"The number of rows matching, or null when more than "
            f"{self.count_cap:,} match (follow `next`, or narrow with filters).",
        }
        return answer

    def get_html_context(self):
        # The browsable API's page links need the number of pages, unknown when capped.
        return super().get_html_context() if not self.capped else {}
