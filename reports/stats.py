"""Small statistics over lists of numbers (empty lists give None or 0, never an error)."""

import math
import statistics


def mean(values) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def median(values) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None


def coefficient_of_variation(values) -> float:
    """Return the population standard deviation over the mean (0 when the mean is 0)."""
    values = list(values)
    if not values:
        return 0.0
    average = sum(values) / len(values)
    if average == 0:
        return 0.0
    return statistics.pstdev(values) / average


def gini(values) -> float:
    """Return the Gini coefficient of non-negative values: 0 = all equal, near 1 = one has all.

    Computed as the mean absolute difference between all pairs over twice the mean.
    """
    values = sorted(values)
    count = len(values)
    total = sum(values)
    if count == 0 or total == 0:
        return 0.0
    # With values sorted, sum_i sum_j |x_i - x_j| = 2 * sum_i (2i - n + 1) x_i (i from 0).
    weighted = sum((2 * i - count + 1) * x for i, x in enumerate(values))
    return weighted / (count * total)


def rounded(value, digits: int = 1):
    """Round for display; None and non-finite values pass through as None."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(value, digits)


def percent(part, whole, digits: int = 1) -> float | None:
    """Return ``part`` as a percentage of ``whole`` (None when ``whole`` is 0)."""
    if not whole:
        return None
    return round(100.0 * part / whole, digits)
