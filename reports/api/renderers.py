from rest_framework.renderers import BaseRenderer

from ..tables import Table, csv_text


class CSVRenderer(BaseRenderer):
    """Render a report ``Table`` as CSV (``?format=csv``)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, Table):
            return csv_text(data).encode(self.charset)
        return str(data).encode(self.charset)
