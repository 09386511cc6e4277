"""The API's default pagination (settings: DEFAULT_PAGINATION_CLASS); see core.pagination."""

from core.pagination import StandardPagination

__all__ = ["StandardPagination"]
