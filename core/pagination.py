"""Page-number pagination of the API: ``count``, ``next``, ``previous``, ``results``.

:class:`StandardPagination` is every list's (``?page=``, ``?page_size=`` up to 500).
:class:`RememberedCountPagination` is for tables that grow without bound (shifts): ``count``
stays exact, but counting 200,000 rows costs about 40 ms on PostgreSQL (it counts by reading
them), so a process remembers the count of each query (its SQL and parameters) until the
data's version changes or ``count_max_age`` passes, and paging through a list counts once.
"""

import time

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

from core import caches

# (version, SQL, parameters) -> (count, monotonic time counted)
_counts: dict = {}
_COUNTS_SIZE = 1_000
caches.register("core.pagination.counts", _counts.clear)


class StandardPagination(PageNumberPagination):
    """Page-number pagination; clients may ask for up to 500 rows with ?page_size=."""

    page_size_query_param = "page_size"
    max_page_size = 500


class RememberedCountPaginator(Paginator):
    """A paginator whose ``count`` is remembered per process for the same query and version.

    ``version`` is a callable returning a value that changes whenever the rows counted may
    have changed (one cheap query at most); ``max_age`` (seconds) bounds how long a count is
    trusted even so, against a write that does not change the version.
    """

    def __init__(self, *args, version, max_age: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.version, self.max_age = version, max_age

    @cached_property
    def count(self) -> int:
        sql, params = self.object_list.order_by().query.sql_with_params()
        key = (self.version(), sql, params)
        now = time.monotonic()
        hit = _counts.get(key)
        if hit is not None and now - hit[1] < self.max_age:
            return hit[0]
        counted = super().count
        if len(_counts) >= _COUNTS_SIZE:
            _counts.clear()
        _counts[key] = (counted, now)
        return counted


class RememberedCountPagination(StandardPagination):
    """Like :class:`StandardPagination`, with the count remembered (see the module).

    Set ``count_version`` to a function of no arguments that returns the version of the
    rows listed; counts are trusted at most ``count_max_age`` seconds.
    """

    count_max_age = 60.0

    @staticmethod
    def count_version():
        return None

    def django_paginator_class(self, *args, **kwargs):
        return RememberedCountPaginator(
            *args, version=self.count_version, max_age=self.count_max_age, **kwargs
        )
