"""A paginator for admin lists of tables that grow without bound (shifts).

Django's change list counts every row its filters match to number the pages: a scan of
100,000 rows or more on a big table, on every page. :class:`CappedCountPaginator` counts at
most ``cap + 1`` rows; past the cap the list reads "more than 10000 shifts" (the template
``admin/<app>/<model>/pagination.html`` shows it) and numbers the pages up to the cap; the
filters, search and the date filter narrow to the rest.
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    cap = 10_000

    @cached_property
    def count(self) -> int:
        """Return the number of rows, or ``cap + 1`` when there are more than ``cap``."""
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap
