"""Early-termination policies on hand-built snapshots, including DESIGN.md §4's test vectors."""

from __future__ import annotations

import pytest

from tuner.core.policies import (
    AshaPolicy,
    BanditPolicy,
    MedianStoppingPolicy,
    RunSnapshot,
    TruncationSelectionPolicy,
)


def snap(**series: list[float]) -> dict[str, RunSnapshot]:
    return {name: RunSnapshot(values) for name, values in series.items()}


# -- vector 1: bandit, maximize, slack_factor 0.2, B = 0.8 --------------------------------------
@pytest.mark.parametrize(("value", "stopped"), [(0.667, False), (0.666, True)])
def test_vector_1_bandit_factor_maximize(value: float, stopped: bool) -> None:
    policy = BanditPolicy("maximize", slack_factor=0.2)
    assert policy.should_stop("r", snap(best=[0.8], r=[value])) is stopped


# -- vector 2: bandit, minimize, slack_amount 0.1, B = 0.30 -------------------------------------
@pytest.mark.parametrize(("value", "stopped"), [(0.40, False), (0.41, True)])
def test_vector_2_bandit_amount_minimize(value: float, stopped: bool) -> None:
    policy = BanditPolicy("minimize", slack_amount=0.1)
    assert policy.should_stop("r", snap(best=[0.30], r=[value])) is stopped


# -- vector 3: median stopping, maximize, k = 3, M = .55, min_runs 2 ----------------------------
@pytest.mark.parametrize(("best", "stopped"), [(0.55, False), (0.54, True)])
def test_vector_3_median_stopping(best: float, stopped: bool) -> None:
    policy = MedianStoppingPolicy("maximize", min_runs=2)
    runs = snap(a=[0.5, 0.6, 0.7], b=[0.4, 0.5, 0.6], r=[0.1, best, 0.2])
    assert policy.should_stop("r", runs) is stopped


# -- vector 4: truncation 20 %: 10 runs at k = 5 stop exactly the 2 worst; 4 runs stop none -----
def test_vector_4_truncation_ten_runs() -> None:
    policy = TruncationSelectionPolicy("maximize", truncation_percentage=20)
    runs = snap(**{f"r{i}": [0.0, 0.0, 0.0, 0.0, i / 10] for i in range(10)})
    assert [r for r in runs if policy.should_stop(r, runs)] == ["r0", "r1"]


def test_vector_4_truncation_four_runs() -> None:
    policy = TruncationSelectionPolicy("maximize", truncation_percentage=20)
    runs = snap(**{f"r{i}": [0.0, 0.0, 0.0, 0.0, i / 10] for i in range(4)})
    assert not any(policy.should_stop(r, runs) for r in runs)


# -- vector 5: schedule (interval 2, delay 5) first evaluates at k = 6 ---------------------------
def test_vector_5_schedule() -> None:
    policy = BanditPolicy("maximize", slack_amount=0.0, evaluation_interval=2, delay_evaluation=5)
    assert [k for k in range(1, 11) if policy.is_evaluation_point(k)] == [6, 8, 10]
    never_good = [0.0] * 5
    assert not policy.should_stop("r", snap(best=[1.0] * 5, r=never_good))  # k = 5: not evaluated
    assert policy.should_stop("r", snap(best=[1.0] * 6, r=[*never_good, 0.0]))
    assert [
        k
        for k in range(1, 9)
        if BanditPolicy("maximize", slack_amount=0, delay_evaluation=5).is_evaluation_point(k)
    ] == [5, 6, 7, 8]


# -- further semantics ---------------------------------------------------------------------------
def test_bandit_uses_only_runs_with_k_reports_and_best_until_k() -> None:
    policy = BanditPolicy("maximize", slack_factor=0.1)
    # k = 2: 'short' has too few reports and 'long' counts with the best of its first 2 (0.9),
    # so the threshold is 0.9 / 1.1 = 0.818; counting 5.0 or 10.0 would stop r.
    assert not policy.should_stop("r", snap(short=[5.0], long=[0.5, 0.9, 10.0], r=[0.5, 0.83]))
    assert policy.should_stop("r", snap(short=[5.0], long=[0.5, 0.9, 10.0], r=[0.5, 0.81]))


def test_bandit_negative_best_uses_absolute_value() -> None:
    maximize = BanditPolicy("maximize", slack_factor=0.5)
    # B = -1: threshold = -1 - 1 * 0.5/1.5 = -1.333
    assert not maximize.should_stop("r", snap(b=[-1.0], r=[-1.3]))
    assert maximize.should_stop("r", snap(b=[-1.0], r=[-1.34]))
    minimize = BanditPolicy("minimize", slack_factor=0.5)
    # B = -2: threshold = -2 + 2 * 0.5 = -1
    assert not minimize.should_stop("r", snap(b=[-2.0], r=[-1.0]))
    assert minimize.should_stop("r", snap(b=[-2.0], r=[-0.99]))


def test_median_needs_min_runs_and_averages_even_counts() -> None:
    policy = MedianStoppingPolicy("minimize", min_runs=3)
    assert not policy.should_stop("r", snap(a=[1.0], b=[1.0], r=[9.0]))  # only 2 others
    runs = snap(a=[1.0], b=[2.0], c=[3.0], d=[4.0], r=[2.5])  # median of 4 = 2.5: a tie survives
    assert not policy.should_stop("r", runs)
    assert policy.should_stop("r", snap(a=[1.0], b=[2.0], c=[3.0], d=[4.0], r=[2.6]))


def test_truncation_ties_count_as_better_and_finished_runs_can_be_excluded() -> None:
    policy = TruncationSelectionPolicy("minimize", truncation_percentage=50)
    # Ties count as better than r: tied with everyone, r ranks 1 (worst) and 1 <= floor(4 * 0.5).
    assert policy.should_stop("r", snap(a=[1.0], b=[1.0], c=[1.0], r=[1.0]))
    # One run strictly worse: r ranks 2, still within the cutoff of 2; two worse: rank 3 survives.
    assert policy.should_stop("r", snap(a=[2.0], b=[1.0], c=[1.0], r=[1.0]))
    assert not policy.should_stop("r", snap(a=[2.0], b=[2.0], c=[1.0], r=[1.0]))
    excluding = TruncationSelectionPolicy(
        "minimize", truncation_percentage=50, exclude_finished_runs=True
    )
    runs = {
        "done1": RunSnapshot([0.1], finished=True),
        "done2": RunSnapshot([0.2], finished=True),
        "live": RunSnapshot([0.5]),
        "r": RunSnapshot([0.9]),
    }
    assert policy.should_stop("r", runs)  # 4 runs, cutoff 2, r is worst
    assert excluding.should_stop("r", runs)  # 2 runs (live, r), cutoff 1, r is worst
    runs["live"] = RunSnapshot([0.95])
    assert not excluding.should_stop("r", runs)


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: BanditPolicy("maximize"), "slack"),
        (lambda: BanditPolicy("maximize", slack_factor=0), "slack_factor"),
        (lambda: BanditPolicy("maximize", slack_amount=-1), "slack_amount"),
        (lambda: BanditPolicy("up", slack_factor=0.1), "goal"),
        (lambda: MedianStoppingPolicy("maximize", min_runs=0), "min_runs"),
        (
            lambda: TruncationSelectionPolicy("maximize", truncation_percentage=100),
            "truncation_percentage",
        ),
        (
            lambda: BanditPolicy("maximize", slack_factor=0.1, evaluation_interval=0),
            "evaluation_interval",
        ),
        (
            lambda: BanditPolicy("maximize", slack_factor=0.1, delay_evaluation=-1),
            "delay_evaluation",
        ),
        (lambda: AshaPolicy("maximize", grace_period=0), "grace_period"),
        (lambda: AshaPolicy("maximize", reduction_factor=1), "reduction_factor"),
        (lambda: AshaPolicy("maximize", max_t=0), "max_t"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(make: object, argument: str) -> None:
    with pytest.raises(ValueError, match=argument):
        make()  # type: ignore[operator]


# -- vector 6: ASHA, η = 3, g = 1, rung 1 holds [0.5, 0.6, 0.7]: cutoff 0.6333… ----------------
@pytest.mark.parametrize(
    ("goal", "value", "stopped"),
    [
        ("maximize", 0.63, True),
        ("maximize", 0.64, False),
        ("minimize", 0.56, False),
        ("minimize", 0.57, True),
    ],
)
def test_vector_6_asha_cutoff(goal: str, value: float, stopped: bool) -> None:
    policy = AshaPolicy(goal, grace_period=1, reduction_factor=3, max_t=27)
    runs = snap(a=[0.5], b=[0.6], c=[0.7], r=[value])
    assert policy.should_stop("r", runs) is stopped


def test_vector_6_asha_rungs() -> None:
    assert AshaPolicy("maximize", grace_period=1, reduction_factor=3, max_t=27).rungs() == [1, 3, 9]
    assert AshaPolicy("maximize", grace_period=2, reduction_factor=2, max_t=20).rungs() == [
        2,
        4,
        8,
        16,
    ]


# -- vector 7: the first run to reach any rung always continues ---------------------------------
def test_vector_7_asha_first_at_a_rung_continues() -> None:
    policy = AshaPolicy("maximize", grace_period=1, reduction_factor=3, max_t=27)
    # r is far worse than the others at rung 1, but the first to reach rung 3.
    runs = snap(a=[0.9], b=[0.8], r=[0.1, 0.1, 0.1])
    assert policy.should_stop("r", runs) is False


def test_asha_decides_only_at_rungs_on_the_best_so_far() -> None:
    policy = AshaPolicy("maximize", grace_period=1, reduction_factor=3, max_t=27)
    others = {f"o{i}": [0.9] * 5 for i in range(3)}
    assert policy.should_stop("r", snap(**others, r=[0.1, 0.1])) is False  # k = 2: no rung
    assert policy.should_stop("r", snap(**others, r=[0.1, 0.1, 0.1])) is True  # rung 3
    # At rung 3 the others' values recorded there are their best of 3, not their latest.
    rising = {f"o{i}": [0.2, 0.95, 0.3, 0.3] for i in range(3)}
    assert policy.should_stop("r", snap(**rising, r=[0.5, 0.6, 0.7])) is True
    assert policy.should_stop("r", snap(**rising, r=[0.5, 0.6, 0.96])) is False


def test_asha_without_a_grace_period_takes_it_from_the_run_budget() -> None:
    from tuner.core.policies import build_policy
    from tuner.core.policies.asha import derived_grace_period
    from tuner.core.spec.sections import AshaPolicy as AshaSettings

    # ⌊log_3 40⌋ = 3 rungs below 30 epochs: g = ⌈30 / 27⌉ = 2, rungs 2, 6, 18.
    assert derived_grace_period(30, 40, 3) == 2
    assert derived_grace_period(12, 16, 3) == 2  # two rungs: 2, 6
    assert derived_grace_period(10, 6, 3) == 4  # one rung
    assert derived_grace_period(5, 1000, 2) == 1  # more rungs than epochs: every power of 2
    with pytest.raises(ValueError, match="reduction_factor"):
        derived_grace_period(10, 6, 1)
    settings = AshaSettings(policy="asha")
    policy = build_policy(settings, "minimize", training_length=30, max_total_runs=40)
    assert isinstance(policy, AshaPolicy) and policy.rungs() == [2, 6, 18]
    given = build_policy(AshaSettings(policy="asha", grace_period=1), "minimize", 30, 40)
    assert isinstance(given, AshaPolicy) and given.rungs() == [1, 3, 9, 27]
