import pytest

from reports.stats import coefficient_of_variation, gini, median, percent


def test_gini_is_zero_when_all_carry_the_same_and_grows_with_inequality():
    assert gini([5, 5, 5]) == 0
    assert gini([0, 0, 10]) == pytest.approx(2 / 3)
    assert gini([0, 143, 168]) == pytest.approx(336 / (3 * 311))
    assert gini([]) == 0
    assert gini([0, 0]) == 0


def test_coefficient_of_variation_and_median():
    assert coefficient_of_variation([2, 4, 6]) == pytest.approx(((8 / 3) ** 0.5) / 4)
    assert coefficient_of_variation([0, 0]) == 0
    assert median([3, 1, 2, 10]) == 2.5
    assert median([]) is None


def test_percent_of_nothing_is_no_value():
    assert percent(1, 3) == 33.3
    assert percent(1, 0) is None
