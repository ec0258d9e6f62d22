"""Making Data Count XmR charts on small hand-worked series (pure Python, no database)."""

import datetime

import pytest

from benefits import spc


def month(i):
    """The first of the month, i months after January 2024."""
    return datetime.date(2024 + i // 12, i % 12 + 1, 1)


def chart(values, better="higher", **kwargs):
    return spc.xmr([(month(i), v) for i, v in enumerate(values)], better=better, **kwargs)


def flagged(c):
    return [i for i, p in enumerate(c.points) if p.special]


# mean 60/5 = 12; moving ranges 2, 1, 4, 3 so MR̄ = 2.5; 2.66·MR̄ = 6.65
SMALL = [10, 12, 11, 15, 12]
# the last point is far above the rest (5 before it: too few for a run)
SPIKE_HIGH = [10, 12, 10, 12, 10, 40]
# the mirror image: the last point far below the rest
SPIKE_LOW = [30, 28, 30, 28, 30, 0]


def test_limits_on_a_small_series():
    c = chart(SMALL)
    assert c.mean == pytest.approx(12)
    assert c.upper == pytest.approx(12 + 6.65)
    assert c.lower == pytest.approx(12 - 6.65)
    assert c.near_upper == pytest.approx(12 + 6.65 * 2 / 3)
    assert c.near_lower == pytest.approx(12 - 6.65 * 2 / 3)
    assert flagged(c) == []
    assert c.variation == "common_cause"


def test_a_point_above_the_upper_limit_is_special_cause():
    c = chart(SPIKE_HIGH)
    # mean 94/6; MR̄ = (2+2+2+2+30)/5 = 7.6, so the upper limit is 94/6 + 2.66·7.6 ≈ 35.88 < 40
    assert c.mean == pytest.approx(94 / 6)
    assert c.upper == pytest.approx(94 / 6 + 2.66 * 7.6)
    assert flagged(c) == [5]
    assert c.points[5].direction == "improvement"


def test_a_run_of_seven_above_the_mean_is_flagged_in_full():
    # mean 154/13 ≈ 11.85: the last seven points (13 and 14) are all above it
    c = chart([12, 8, 12, 8, 12, 8, 13, 14, 13, 14, 13, 14, 13])
    assert flagged(c) == [6, 7, 8, 9, 10, 11, 12]
    assert {c.points[i].direction for i in flagged(c)} == {"improvement"}


def test_a_run_of_six_above_the_mean_is_not_flagged():
    c = chart([12, 8, 12, 8, 12, 8, 8, 14, 13, 14, 13, 14, 13])
    assert flagged(c) == []


def test_a_point_on_the_mean_breaks_a_run():
    # mean 180/15 = 12 exactly: six above, one on the mean, six above again (then two low points)
    c = chart([13, 13, 13, 13, 13, 13, 12, 13, 13, 13, 13, 13, 13, 6, 6])
    assert c.mean == pytest.approx(12)
    assert flagged(c) == [13, 14]  # only the two low points, which are below the lower limit


def test_a_trend_of_seven_rising_points_is_flagged_in_full():
    # 10, 11, …, 16 rise seven times in a row; the first three are below the mean but rising
    c = chart([10, 14, 10, 14, 10, 14, 10, 11, 12, 13, 14, 15, 16])
    assert flagged(c) == [6, 7, 8, 9, 10, 11, 12]
    assert {(c.points[i].direction, c.points[i].side) for i in flagged(c)} == {("improvement", "high")}


def test_a_trend_of_six_rising_points_is_not_flagged():
    c = chart([10, 14, 10, 14, 10, 14, 11, 11, 12, 13, 14, 15, 16])
    assert flagged(c) == []


def test_a_falling_trend_is_low():
    c = chart([16, 15, 14, 13, 12, 11, 10, 14, 10, 14, 10, 14, 10], better="lower")
    assert flagged(c)[:7] == [0, 1, 2, 3, 4, 5, 6]
    assert {(c.points[i].direction, c.points[i].side) for i in range(7)} == {("improvement", "low")}


def test_two_of_three_beyond_the_near_limit_are_flagged():
    c = chart([10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 17, 12, 17])
    # mean 156/13 = 12; MR̄ = (9·2 + 3·5)/12 = 2.75; near upper 12 + ⅔·2.66·2.75 ≈ 16.88 < 17 < upper 19.32
    assert c.mean == pytest.approx(12)
    assert c.near_upper == pytest.approx(12 + 2 / 3 * 2.66 * 2.75)
    assert c.upper == pytest.approx(12 + 2.66 * 2.75)
    assert c.upper > 17
    assert flagged(c) == [10, 12]  # the point between them is on the mean and is not flagged


def test_one_of_three_beyond_the_near_limit_is_not_flagged():
    c = chart([10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 11, 12, 17])
    assert c.near_upper < 17
    assert flagged(c) == []


STEADY = [10, 11] * 10  # mean 10.5, moving ranges of 1


def test_two_beyond_opposite_near_limits_are_not_two_of_three():
    c = chart([*STEADY, 14, 7, 11])
    # mean 242/23 ≈ 10.52; MR̄ = (19·1 + 3 + 7 + 4)/22 = 1.5; near limits 10.52 ± 2.66 (7.86, 13.18), process
    # limits 10.52 ± 3.99 (6.53, 14.51). 14 is beyond the upper near limit and 7 beyond the lower one, both
    # inside the process limits: one point beyond each, on opposite sides of the mean, so no signal.
    assert c.near_upper < 14 < c.upper and c.lower < 7 < c.near_lower
    assert flagged(c) == []


def test_a_point_beyond_the_process_limit_counts_towards_two_of_three():
    c = chart([*STEADY, 13.8, 11, 16])
    # mean 250.8/23 ≈ 10.90; MR̄ = (19·1 + 2.8 + 2.8 + 5)/22 ≈ 1.345; near upper ≈ 13.29, upper ≈ 14.48.
    # 13.8 is beyond the near limit but inside the process limit; 16 is beyond the process limit: two of the
    # last three beyond the upper near limit, so 13.8 is flagged as well as 16.
    assert c.near_upper < 13.8 < c.upper < 16
    assert flagged(c) == [20, 22]


def test_process_limits_are_cut_at_the_bounds_of_the_measure():
    values = [1, 0, 6, 0, 1, 0, 5, 1, 0, 7, 0, 1]
    free = chart(values)
    assert free.lower < 0 and free.near_lower < 0
    counts = chart(values, bounds=(0, None))
    assert counts.lower == 0 and counts.near_lower == 0 and counts.upper == free.upper and counts.mean == free.mean
    shares = chart([99, 90, 100, 88, 100, 97, 100, 91, 99, 100, 92, 100], bounds=(0, 100))
    assert shares.upper == 100 and shares.near_upper <= 100 and shares.lower < 100


def test_limits_are_provisional_under_twelve_points():
    assert chart([10, 12] * 5 + [11]).provisional is True


def test_limits_are_not_provisional_at_twelve_points():
    assert chart([10, 12] * 6).provisional is False


def test_missing_values_do_not_count_towards_twelve():
    assert chart([10, 12] * 5 + [11, None]).provisional is True


@pytest.mark.parametrize(
    ("values", "better", "variation"),
    [
        (SMALL, "higher", "common_cause"),
        (SPIKE_HIGH, "higher", "improvement_high"),
        (SPIKE_LOW, "lower", "improvement_low"),
        (SPIKE_HIGH, "lower", "concern_high"),
        (SPIKE_LOW, "higher", "concern_low"),
        (SPIKE_HIGH, "neither", "neither_high"),
        (SPIKE_LOW, "neither", "neither_low"),
    ],
)
def test_variation_icon_comes_from_the_latest_point(values, better, variation):
    assert chart(values, better=better).variation == variation


def test_variation_is_common_cause_when_only_an_earlier_point_is_special():
    c = chart([12, 8, 12, 8, 12, 8, 13, 14, 13, 14, 13, 14, 13, 9])  # a run of seven, then one low point
    assert flagged(c) == [6, 7, 8, 9, 10, 11, 12]
    assert c.variation == "common_cause"


@pytest.mark.parametrize(
    ("better", "target", "assurance"),
    [
        # SMALL has limits 5.35 to 18.65
        ("higher", 5, "pass"),  # lower limit above the target: always met
        ("higher", 20, "fail"),  # upper limit below the target: never met
        ("higher", 12, "hit_and_miss"),
        ("lower", 19, "pass"),
        ("lower", 5, "fail"),
        ("lower", 12, "hit_and_miss"),
        ("neither", 12, None),
        ("higher", None, None),
    ],
)
def test_assurance_icon_compares_the_target_with_the_limits(better, target, assurance):
    assert chart(SMALL, better=better, target=target).assurance == assurance


def test_re_basing_changes_the_mean_and_only_judges_later_points():
    values = [10, 12, 10, 12, 10, 12, 20, 22, 20, 22]
    before = chart(values)
    assert before.mean == pytest.approx(15)
    assert flagged(before)  # the step change is special cause without re-basing

    after = chart(values, rebase=month(6))
    assert after.rebased_at == month(6)
    assert after.mean == pytest.approx(21)
    assert after.upper == pytest.approx(21 + 2.66 * 2)  # moving ranges 2, 2, 2
    assert flagged(after) == []
    assert after.points[0].value == 10  # earlier points keep their values


def test_re_basing_needs_two_valued_points_after_the_date():
    c = chart([10, 12, 10, 12, 20, None], rebase=month(4))
    assert c.rebased_at is None
    assert c.mean == pytest.approx(64 / 5)


def test_a_re_base_date_before_every_point_changes_nothing():
    c = chart([10, 12, 10, 12, 20], rebase=month(0))
    assert c.rebased_at is None
    assert c.mean == pytest.approx(64 / 5)


def test_missing_values_are_kept_as_points_but_skipped_in_calculations():
    c = spc.xmr([(month(i), v) for i, v in enumerate([10, None, 12, 11, None, 15, 12])], better="higher")
    assert len(c.points) == 7
    assert c.points[1].value is None
    assert not c.points[1].special
    assert c.mean == pytest.approx(12)  # as for SMALL: moving ranges taken between valued points
    assert c.upper == pytest.approx(18.65)


def test_too_few_points_give_no_limits_and_no_icons():
    c = chart([10, None], target=5)
    assert (c.mean, c.upper, c.lower, c.near_upper, c.near_lower) == (None,) * 5
    assert c.variation == ""
    assert c.assurance is None
    assert c.provisional is True


def test_it_refuses_an_unknown_better_direction():
    with pytest.raises(ValueError, match="better"):
        chart(SMALL, better="up")
