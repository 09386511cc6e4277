"""Bar charts as inline SVG, drawn on the server: numbers in, markup out.

Every chart carries a ``<title>`` and an ``aria-label`` and prints its values next to the
bars; the pages put the same numbers in a table beside it.
"""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR = "#0b5cad"
HOT = "#a40e26"
MUTED = "#8c959f"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _number(value, unit: str, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:,}"
    return f"{text}{unit}"


def _svg(title: str, width: int, height: int, body: list[str]) -> SafeString:
    label = escape(title)
    return mark_safe(  # noqa: S308 - every piece of text in ``body`` went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-label="{label}" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px"><title>{label}</title>{"".join(body)}</svg>'
    )


def column_chart(
    *,
    title: str,
    labels: list[str],
    values: list,
    unit: str = "",
    reference: float | None = None,
    reference_label: str = "",
    height: int = 180,
) -> SafeString:
    """Return vertical bars, one per label; bars above ``reference`` are drawn in red."""
    count = max(len(values), 1)
    slot = max(min(56, 640 // count), 18)
    left, top, bottom = 40, 16, 34
    width = left + slot * count + 10
    plot = height - top - bottom
    known = [v for v in values if v is not None]
    ceiling = max([*known, reference or 0, 1])
    scale = plot / ceiling
    body = [
        f'<line x1="{left}" y1="{top + plot}" x2="{width - 5}" y2="{top + plot}" stroke="{MUTED}"/>'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + i * slot + 3
        bar = (value or 0) * scale
        colour = HOT if reference is not None and (value or 0) > reference else BAR
        body.append(
            f'<rect x="{x}" y="{top + plot - bar:.1f}" width="{slot - 6}" height="{bar:.1f}" '
            f'fill="{colour}"><title>{escape(label)}: {escape(_number(value, unit))}</title></rect>'
        )
        body.append(
            f'<text x="{x + (slot - 6) / 2:.1f}" y="{top + plot - bar - 3:.1f}" '
            f'text-anchor="middle" {FONT}>{escape(_number(value, unit))}</text>'
        )
        body.append(
            f'<text x="{x + (slot - 6) / 2:.1f}" y="{height - bottom + 16}" '
            f'text-anchor="middle" {FONT}>{escape(label)}</text>'
        )
    if reference is not None:
        y = top + plot - reference * scale
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 5}" y2="{y:.1f}" stroke="{HOT}" '
            f'stroke-dasharray="4 3"/><text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
            f"{FONT}>{escape(reference_label or _number(reference, unit))}</text>"
        )
    return _svg(title, width, height, body)


def bar_chart(
    *,
    title: str,
    labels: list[str],
    values: list,
    unit: str = "",
    highlight: set | frozenset = frozenset(),
    label_width: int = 170,
    digits: int = 1,
) -> SafeString:
    """Return horizontal bars, one per label; labels in ``highlight`` are drawn in red.

    Values print with at most ``digits`` decimals.
    """
    row, width = 22, 600
    plot = width - label_width - 100
    known = [v for v in values if v is not None]
    ceiling = max([*known, 1])
    height = row * max(len(values), 1) + 8
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 4 + i * row
        bar = (value or 0) * plot / ceiling
        colour = HOT if label in highlight else BAR
        shown = escape(_number(value, unit, digits))
        body.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end" {FONT}>'
            f"{escape(label)}</text>"
        )
        body.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{bar:.1f}" height="{row - 6}" '
            f'fill="{colour}"><title>{escape(label)}: {shown}</title></rect>'
        )
        body.append(f'<text x="{label_width + bar + 4:.1f}" y="{y + 14}" {FONT}>{shown}</text>')
    return _svg(title, width, height, body)
