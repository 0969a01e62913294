"""Unit tests for engine.games.chess.clock (pure Python, no Django). Time is faked by
passing plain numbers as `now`."""

from __future__ import annotations

import pytest

from engine.games.chess.clock import MAX_FLAG_GRACE_MS, ChessClock, LagQuota, TimeControl

# --------------------------------------------------------------------------- TimeControl


@pytest.mark.parametrize(
    ("text", "initial_ms", "increment_ms"),
    [
        ("3+2", 180_000, 2_000),
        ("1+0", 60_000, 0),
        ("0.25+0", 15_000, 0),
        ("0.5+0", 30_000, 0),
        ("0.75+0", 45_000, 0),
        ("1.5+0", 90_000, 0),
        ("0+1", 0, 1_000),
        ("0+180", 0, 180_000),
        ("180+180", 10_800_000, 180_000),
        ("10+5", 600_000, 5_000),
    ],
)
def test_parse_valid(text, initial_ms, increment_ms):
    tc = TimeControl.parse(text)
    assert (tc.initial_ms, tc.increment_ms) == (initial_ms, increment_ms)
    assert tc.label == text
    assert TimeControl.parse(tc.label) == tc


@pytest.mark.parametrize(
    "text",
    [
        "0+0",
        "",
        " 3+2",
        "3+2 ",
        "3 + 2",
        "-1+0",
        "3+-2",
        "+3+2",
        "3",
        "3+",
        "+2",
        "3+2+1",
        "abc",
        "181+0",
        "3+181",
        "1.3+0",
        "0.3+0",
        "2.5+0",
        "3.0+0",
        "1.50+0",
        "03+2",
        "3+02",
        "3+0.5",
        "3|2",
        "\u0663+2",  # ARABIC-INDIC DIGIT THREE: a digit to str.isdigit, not to us
    ],
)
def test_parse_invalid(text):
    with pytest.raises(ValueError):
        TimeControl.parse(text)


@pytest.mark.parametrize("value", [None, 3, 3.0, b"3+2"])
def test_parse_rejects_non_strings(value):
    with pytest.raises(ValueError, match="must be a string"):
        TimeControl.parse(value)


def test_parse_error_messages_are_clear():
    with pytest.raises(ValueError, match="expected"):
        TimeControl.parse("abc")
    with pytest.raises(ValueError, match="at most 180 minutes"):
        TimeControl.parse("181+0")
    with pytest.raises(ValueError, match="increment at most 180"):
        TimeControl.parse("0+181")
    with pytest.raises(ValueError, match="0\\+0"):
        TimeControl.parse("0+0")


@pytest.mark.parametrize(
    ("initial_ms", "increment_ms"),
    [(1_000, 0), (60_000, 500), (60_000, -1_000), (0, 0), (181 * 60_000, 0), (True, 0), (60_000.0, 0)],
)
def test_direct_construction_is_validated(initial_ms, increment_ms):
    with pytest.raises(ValueError):
        TimeControl(initial_ms=initial_ms, increment_ms=increment_ms)


@pytest.mark.parametrize(
    ("text", "estimate", "speed", "first_move_timeout_ms"),
    [
        ("0.25+0", 15, "ultraBullet", 15_000),
        ("0.5+0", 30, "bullet", 20_000),  # exactly 30 s is no longer ultraBullet
        ("0+1", 40, "bullet", 20_000),
        ("1+0", 60, "bullet", 20_000),
        ("2+1", 160, "bullet", 20_000),
        ("3+0", 180, "blitz", 25_000),  # the boundary belongs to the slower speed
        ("5+3", 420, "blitz", 25_000),
        ("8+0", 480, "rapid", 30_000),
        ("15+10", 1300, "rapid", 30_000),
        ("25+0", 1500, "classical", 35_000),
        ("180+180", 18_000, "classical", 35_000),
    ],
)
def test_estimate_speed_and_first_move_timeout(text, estimate, speed, first_move_timeout_ms):
    tc = TimeControl.parse(text)
    assert tc.estimated_seconds == estimate
    assert tc.speed == speed
    assert tc.first_move_timeout_ms == first_move_timeout_ms


@pytest.mark.parametrize(("text", "starting_ms"), [("3+2", 180_000), ("0+1", 3_000), ("0+5", 5_000)])
def test_starting_ms_gives_increment_only_games_some_time(text, starting_ms):
    tc = TimeControl.parse(text)
    assert tc.starting_ms == starting_ms
    assert ChessClock(tc).snapshot(0.0) == {"white": starting_ms, "black": starting_ms, "running": None}


# --------------------------------------------------------------------------- LagQuota


@pytest.mark.parametrize(
    ("text", "gain_ms"),
    [
        ("0.25+0", 210),  # 15 s * 2/5 + 15 cs = 21 cs
        ("0.5+0", 270),
        ("1+0", 390),
        ("2+1", 790),
        ("3+2", 1000),  # 260 s would give 119 cs: capped at 100 cs
        ("180+0", 1000),
    ],
)
def test_lag_quota_gain_start_and_cap(text, gain_ms):
    quota = LagQuota.for_time_control(TimeControl.parse(text))
    assert quota == LagQuota(gain_ms=gain_ms, quota_ms=3 * gain_ms, max_ms=7 * gain_ms)


def test_lag_quota_arithmetic():
    quota = LagQuota.for_time_control(TimeControl.parse("1+0"))  # gain 390, quota 1170, max 2730
    assert quota.compensate(500) == 500
    assert quota.quota_ms == 1170 - 500 + 390
    # Compensation never exceeds the quota; the quota then refills by one gain.
    assert quota.compensate(5_000) == 1060
    assert quota.quota_ms == 390
    # Negative lag counts as none.
    assert quota.compensate(-50) == 0
    assert quota.quota_ms == 780
    for _ in range(10):
        quota.compensate(0)
    assert quota.quota_ms == 2730  # capped at 7 gains
    assert quota.compensate(0) == 0
    assert quota.quota_ms == 2730


# --------------------------------------------------------------------------- ChessClock


def clock(text="3+2"):
    return ChessClock(TimeControl.parse(text))


def test_nothing_runs_before_start():
    c = clock()
    assert c.snapshot(1_000.0) == {"white": 180_000, "black": 180_000, "running": None}
    assert c.flagged(1_000.0) is None
    assert c.elapsed_ms(1_000.0) == 0


def test_start_runs_only_the_started_side():
    c = clock()
    c.start("white", 10.0)
    assert c.snapshot(12.5) == {"white": 177_500, "black": 180_000, "running": "white"}
    assert c.elapsed_ms(12.5) == 2_500


def test_press_charges_adds_increment_and_switches():
    c = clock()
    c.start("white", 10.0)
    assert c.press("white", 12.5) == 2_500
    assert c.snapshot(12.5) == {"white": 179_500, "black": 180_000, "running": "black"}
    assert c.snapshot(13.0)["black"] == 179_500
    assert c.press("black", 13.0) == 500
    assert c.snapshot(13.0) == {"white": 179_500, "black": 181_500, "running": "white"}


def test_press_applies_lag_compensation_from_the_movers_quota():
    c = clock()  # gain 1000, quota 3000
    c.start("white", 0.0)
    assert c.press("white", 2.0, lag_ms=400) == 1_600
    assert c.white_ms == 180_000 - 1_600 + 2_000
    assert c.lag["white"].quota_ms == 3_000 - 400 + 1_000
    assert c.lag["black"].quota_ms == 3_000  # untouched


def test_press_refunds_at_most_the_elapsed_time():
    c = clock()
    c.start("white", 0.0)
    assert c.press("white", 0.1, lag_ms=500) == 0
    assert c.white_ms == 180_000 + 2_000
    assert c.lag["white"].quota_ms == 3_000 - 100 + 1_000


def test_press_by_the_side_not_running_is_a_programming_error():
    c = clock()
    with pytest.raises(ValueError):
        c.press("white", 1.0)
    c.start("white", 0.0)
    with pytest.raises(ValueError):
        c.press("black", 1.0)
    with pytest.raises(ValueError):
        c.start("red", 1.0)


def test_flag_falls_when_the_grace_past_zero_runs_out():
    c = clock("1+0")  # lag quota 1170 ms: the grace
    c.start("white", 2.0)
    assert c.remaining_ms("white", 62.0) == 0
    assert c.flagged(62.0) is None
    assert c.flagged(63.169) is None
    assert c.flagged(63.17) == "white"
    assert c.remaining_ms("white", 100.0) == 0  # never below 0
    assert c.flagged(100.0) == "white"


def test_flag_grace_is_the_movers_lag_quota_capped_at_2_s():
    c = clock("1+0")  # gain 390, quota 1170
    assert c.flag_grace_ms("white") == 1_170
    c.start("white", 0.0)
    c.press("white", 1.0, lag_ms=1_000)  # quota 1170 - 1000 + 390
    assert c.flag_grace_ms("white") == 560
    assert c.flag_grace_ms("black") == 1_170
    c = clock("3+2")  # gain 1000, quota 3000
    assert c.flag_grace_ms("white") == MAX_FLAG_GRACE_MS == 2_000
    c.start("white", 0.0)
    for second in range(1, 9):
        c.press(c.running, float(second))  # no lag: each move adds a gain, up to 7000
    assert c.lag["white"].quota_ms == 7_000
    assert c.flag_grace_ms("white") == 2_000


def test_a_move_in_the_grace_is_in_time_when_its_lag_compensation_covers_the_overrun():
    c = clock("1+0")  # quota 1170
    c.start("white", 0.0)
    assert c.move_in_time("white", 59.999)
    assert not c.move_in_time("white", 60.0)
    assert not c.move_in_time("white", 60.5, lag_ms=500)  # charged exactly 60 s: the flag
    assert c.move_in_time("white", 60.5, lag_ms=501)
    assert not c.move_in_time("white", 61.2, lag_ms=5_000)  # at most 1170 ms refunded
    assert c.lag["white"].quota_ms == 1_170  # asking changes nothing
    assert c.press("white", 60.5, lag_ms=800) == 59_700
    assert c.white_ms == 300


def test_press_of_a_move_not_in_time_is_a_programming_error():
    c = clock("1+2")
    c.start("white", 0.0)
    with pytest.raises(ValueError, match="flag"):
        c.press("white", 61.0)
    assert c.running == "white" and c.white_ms == 60_000


def test_elapsed_time_is_rounded_to_the_nearest_ms():
    c = clock()
    c.start("white", 0.1)
    assert c.elapsed_ms(0.4) == 300  # 0.4 - 0.1 == 0.30000000000000004
    assert c.elapsed_ms(0.05) == 0  # a `now` in the past never adds time


def test_start_charges_the_side_that_was_running():
    c = clock()
    c.start("white", 0.0)
    c.start("black", 4.0)
    assert c.snapshot(5.0) == {"white": 176_000, "black": 179_000, "running": "black"}


def test_stop_freezes_both_clocks():
    c = clock()
    c.start("white", 0.0)
    c.stop(3.0)
    assert c.snapshot(3.0) == c.snapshot(500.0) == {"white": 177_000, "black": 180_000, "running": None}
    assert c.flagged(500.0) is None


def test_add_ms_to_either_side():
    c = clock()
    c.start("white", 0.0)
    c.add_ms("white", 15_000, 5.0)
    c.add_ms("black", 15_000, 6.0)
    assert c.snapshot(7.0) == {"white": 188_000, "black": 195_000, "running": "white"}


def test_add_ms_after_the_flag_counts_from_zero():
    c = clock("1+0")
    c.start("white", 0.0)
    c.add_ms("white", 15_000, 70.0)  # 10 s past the flag
    assert c.remaining_ms("white", 70.0) == 15_000
    assert c.flagged(70.0) is None


def test_a_time_control_of_thousands_of_digits_is_refused_with_a_short_message():
    with pytest.raises(ValueError) as refused:
        TimeControl.parse("1" * 5000 + "+0")
    assert "invalid time control" in str(refused.value) and len(str(refused.value)) < 120
