"""Badges shared by the incidents admin pages."""

from django.db import models
from django.utils.html import format_html

URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}

# Background and text colours: at least 4.5:1 contrast (WCAG AA) between the two.
SEVERITY_COLOURS = {
    "SEV1": ("#b71c1c", "#fff"),
    "SEV2": ("#bf360c", "#fff"),
    "SEV3": ("#fdd835", "#000"),
    "SEV4": ("#cfd8dc", "#000"),
}
STATUS_COLOURS = {
    "triggered": ("#b71c1c", "#fff"),
    "acknowledged": ("#bf360c", "#fff"),
    "mitigated": ("#1565c0", "#fff"),
    "resolved": ("#2e7d32", "#fff"),
}


def badge(text: str, colours: tuple[str, str], title: str = ""):
    background, colour = colours
    return format_html(
        '<span title="{}" style="background:{};color:{};padding:1px 7px;border-radius:9px;'
        'font-weight:600;white-space:nowrap">{}</span>',
        title,
        background,
        colour,
        text,
    )


def severity_badge(obj):
    return badge(obj.severity, SEVERITY_COLOURS[obj.severity], obj.get_severity_display())
