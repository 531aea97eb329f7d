"""The RFP comparison engine (vendors/rfp_scoring.py), with the worked example done by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vendors.rfp_scoring import (
    DISAGREE,
    INCOMPLETE_IGNORED,
    NOT_EVALUATED,
    SINGLE_EVALUATOR,
    Criterion,
    Response,
    compare,
    round2,
    weight_shares,
)

D = Decimal

# The worked example: 3 criteria weighted 50/30/20, scale 0-5, 3 vendors, 2 evaluators (E1, E2).
CRITERIA = [Criterion("fit", "Functional fit", D(50)), Criterion("sap", "SAP integration", D(30)),
            Criterion("cost", "Total cost", D(20))]  # fmt: skip
VENDORS = [Response("A", "Adatum"), Response("B", "Bluebird"), Response("C", "Contoso")]
#            fit sap cost
HAND_SCORES = {
    ("A", "E1"): (4, 3, 5),
    ("A", "E2"): (5, 3, 4),
    ("B", "E1"): (3, 5, 5),
    ("B", "E2"): (3, 5, 5),
    ("C", "E1"): (5, 5, 4),
    ("C", "E2"): (2, 3, 2),
}


def scores_of(table: dict) -> dict:
    out = {}
    for (response, evaluator), values in table.items():
        for criterion, value in zip(CRITERIA, values, strict=True):
            out[(response, evaluator, criterion.id)] = value
    return out


def test_the_worked_example_ranks_the_vendors_as_computed_by_hand():
    # Best possible: (50 + 30 + 20) x 5 = 500, so an evaluator's total is Σ w·s / 500 x 100.
    #   A  E1: 50x4 + 30x3 + 20x5 = 200 + 90 + 100 = 390 -> 78.00 %
    #      E2: 50x5 + 30x3 + 20x4 = 250 + 90 +  80 = 420 -> 84.00 %
    #      means 4.50 / 3.00 / 4.50 -> (225 + 90 + 90) / 500 = 405 / 500 -> 81.00 %
    #      spread 84 - 78 = 6.00; population sd: deviations ±3 -> sqrt(9) = 3.00
    #   B  E1 = E2: 50x3 + 30x5 + 20x5 = 150 + 150 + 100 = 400 -> 80.00 % each
    #      total 80.00, spread 0.00, sd 0.00. (B's unweighted sum 26 beats A's 24, yet A wins:
    #      B is strong on the light criteria.)
    #   C  E1: 50x5 + 30x5 + 20x4 = 250 + 150 + 80 = 480 -> 96.00 %
    #      E2: 50x2 + 30x3 + 20x2 = 100 +  90 + 40 = 230 -> 46.00 %
    #      means 3.50 / 4.00 / 3.00 -> (175 + 120 + 60) / 500 = 355 / 500 -> 71.00 %
    #      spread 96 - 46 = 50.00 > 15 -> "evaluators disagree"; sd: deviations ±25 -> 25.00
    # Ranking: A 81.00 (1), B 80.00 (2), C 71.00 (3).
    result = compare(
        criteria=CRITERIA, responses=VENDORS, scale_max=5, scores=scores_of(HAND_SCORES)
    )

    table = [
        (r.response.id, r.rank, r.total, r.spread, r.stdev, r.evaluator_totals, r.flags)
        for r in result.results
    ]
    assert table == [
        ("A", 1, D("81.00"), D("6.00"), D("3.00"), {"E1": D("78.00"), "E2": D("84.00")}, ()),
        ("B", 2, D("80.00"), D("0.00"), D("0.00"), {"E1": D("80.00"), "E2": D("80.00")}, ()),
        ("C", 3, D("71.00"), D("50.00"), D("25.00"), {"E1": D("96.00"), "E2": D("46.00")},
         (DISAGREE,)),
    ]  # fmt: skip
    assert result.result_for("A").criterion_means == {
        "fit": D("4.50"), "sap": D("3.00"), "cost": D("4.50")
    }  # fmt: skip
    assert result.result_for("C").criterion_means == {
        "fit": D("3.50"), "sap": D("4.00"), "cost": D("3.00")
    }  # fmt: skip
    assert result.result_for("C").criterion_spreads == {"fit": 3, "sap": 2, "cost": 2}
    assert result.weight_shares == {"fit": D("50.00"), "sap": D("30.00"), "cost": D("20.00")}
    assert result.evaluators == ("E1", "E2")


def test_weights_need_not_add_up_to_100():
    # The same example with every weight halved (25/15/10) ranks and scores identically.
    halved = [Criterion(c.id, c.name, c.weight / 2) for c in CRITERIA]
    result = compare(criteria=halved, responses=VENDORS, scale_max=5, scores=scores_of(HAND_SCORES))
    assert [(r.response.id, r.total) for r in result.results] == [
        ("A", D("81.00")), ("B", D("80.00")), ("C", D("71.00"))
    ]  # fmt: skip


def test_ties_share_a_rank_and_are_listed_by_name():
    # Zulu and Alpha both score 3/5 on one criterion (60.00 %), Mike 4/5 (80.00 %), Kilo 1/5.
    criteria = [Criterion(1, "Only", D(1))]
    responses = [Response("z", "Zulu"), Response("a", "alpha"), Response("m", "Mike"),
                 Response("k", "Kilo")]  # fmt: skip
    scores = {("z", "E", 1): 3, ("a", "E", 1): 3, ("m", "E", 1): 4, ("k", "E", 1): 1}
    result = compare(criteria=criteria, responses=responses, scale_max=5, scores=scores)
    assert [(r.response.name, r.rank, r.total) for r in result.results] == [
        ("Mike", 1, D("80.00")),
        ("alpha", 2, D("60.00")),  # ties ordered by name, case-insensitively
        ("Zulu", 2, D("60.00")),
        ("Kilo", 4, D("20.00")),  # competition ranking: the next rank after a tie skips
    ]


def test_ties_are_decided_on_the_rounded_total():
    # Weights 999 and 1, scale 100: best = 100,000.
    #   Able  (one evaluator): 999x50 + 1x0 = 49,950 -> 49.950 % -> 49.95
    #   Baker (two): 999x50 + 1x1 = 49,951 and 49,950 -> mean 49,950.5 -> 49.9505 % -> 49.95
    # Baker is ahead by 0.0005 points, which nobody can see: both are shown 49.95 and share
    # rank 1, listed by name.
    criteria = [Criterion("a", "Heavy", D(999)), Criterion("b", "Light", D(1))]
    responses = [Response("y", "Baker"), Response("x", "Able")]
    scores = {("x", "E1", "a"): 50, ("x", "E1", "b"): 0}
    scores |= {("y", "E1", "a"): 50, ("y", "E1", "b"): 1, ("y", "E2", "a"): 50, ("y", "E2", "b"): 0}
    result = compare(criteria=criteria, responses=responses, scale_max=100, scores=scores)
    assert [(r.response.name, r.rank, r.total) for r in result.results] == [
        ("Able", 1, D("49.95")),
        ("Baker", 1, D("49.95")),
    ]


def test_rounding_is_half_up_once_at_the_end():
    assert round2(D("81.005")) == D("81.01")
    assert round2(D("81.004999")) == D("81.00")
    # Weights 1 and 2, scale 4: best 12; scores 1 and 1 -> 3/12 = 25.00; 1 and 0 -> 1/12 =
    # 8.333.. -> 8.33; means of 1 and 2 -> 1.50 (no rounding of the means before the total).
    criteria = [Criterion("a", "A", D(1)), Criterion("b", "B", D(2))]
    scores = {("r", "E1", "a"): 1, ("r", "E1", "b"): 0, ("r", "E2", "a"): 2, ("r", "E2", "b"): 0}
    result = compare(criteria=criteria, responses=[Response("r", "R")], scale_max=4, scores=scores)
    (r,) = result.results
    # E1: 1/12 = 8.333 -> 8.33; E2: 2/12 = 16.667 -> 16.67; total (1+2)/2/12 = 12.50
    assert (r.evaluator_totals, r.total, r.spread) == (
        {"E1": D("8.33"), "E2": D("16.67")}, D("12.50"), D("8.33"),
    )  # fmt: skip
    assert r.criterion_means == {"a": D("1.50"), "b": D("0.00")}


def test_incomplete_sets_are_left_out_whole_and_unscored_responses_unranked():
    scores = scores_of({("A", "E1"): (4, 3, 5), ("B", "E1"): (3, 5, 5)})
    del scores[("B", "E1", "cost")]  # B's only set is incomplete
    scores |= {("A", "E2", "fit"): 0}  # E2 scored A on one criterion only
    result = compare(criteria=CRITERIA, responses=VENDORS, scale_max=5, scores=scores)
    a, b, c = result.results
    assert (a.response.id, a.rank, a.total, a.evaluators, a.ignored_evaluators) == (
        "A", 1, D("78.00"), ("E1",), ("E2",),
    )  # fmt: skip
    assert a.flags == (SINGLE_EVALUATOR, INCOMPLETE_IGNORED)
    assert (b.response.id, b.rank, b.total, b.flags) == (
        "B", None, None, (NOT_EVALUATED, INCOMPLETE_IGNORED),
    )  # fmt: skip
    assert (c.response.id, c.rank, c.total, c.flags) == ("C", None, None, (NOT_EVALUATED,))
    assert c.criterion_means == {"fit": None, "sap": None, "cost": None}


def test_disagreement_threshold_is_strictly_above():
    # One criterion, scale 20: E1 10/20 = 50 %, E2 13/20 = 65 % -> spread exactly 15: no flag;
    # E2 14/20 = 70 % -> spread 20 > 15: flagged.
    criteria = [Criterion(1, "Only", D(1))]
    at = compare(criteria=criteria, responses=[Response("r", "R")], scale_max=20,
                 scores={("r", "E1", 1): 10, ("r", "E2", 1): 13})  # fmt: skip
    above = compare(criteria=criteria, responses=[Response("r", "R")], scale_max=20,
                    scores={("r", "E1", 1): 10, ("r", "E2", 1): 14})  # fmt: skip
    assert (at.results[0].spread, at.results[0].flags) == (D("15.00"), ())
    assert (above.results[0].spread, above.results[0].flags) == (D("20.00"), (DISAGREE,))


def test_zero_weight_criteria_count_for_nothing():
    criteria = [Criterion("a", "A", D(1)), Criterion("b", "B", D(0))]
    scores = {("r", "E", "a"): 5, ("r", "E", "b"): 0}
    (r,) = compare(criteria=criteria, responses=[Response("r", "R")], scale_max=5,
                   scores=scores).results  # fmt: skip
    assert r.total == D("100.00")
    assert weight_shares(criteria) == {"a": D("100.00"), "b": D("0.00")}


def test_weight_shares_round_to_two_places():
    criteria = [Criterion(i, str(i), D(1)) for i in range(3)]
    assert weight_shares(criteria) == {0: D("33.33"), 1: D("33.33"), 2: D("33.33")}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale_max": 0}, "scale_max"),
        ({"criteria": []}, "at least one criterion"),
        ({"criteria": [Criterion(1, "x", D(0))]}, "weight above 0"),
        ({"criteria": [Criterion(1, "x", D(-1))]}, "negative"),
        ({"scores": {("r", "E", 1): 6}}, "not a whole number"),
        ({"scores": {("r", "E", 1): 2.5}}, "not a whole number"),
        ({"scores": {("r", "E", 1): True}}, "not a whole number"),
    ],
)
def test_bad_input_is_refused(kwargs, message):
    args = {
        "criteria": [Criterion(1, "x", D(1))],
        "responses": [Response("r", "R")],
        "scale_max": 5,
        "scores": {},
    }
    with pytest.raises(ValueError, match=message):
        compare(**(args | kwargs))


def test_scores_of_unknown_responses_or_criteria_are_ignored():
    criteria = [Criterion(1, "x", D(1))]
    scores = {("r", "E", 1): 5, ("gone", "E", 1): 0, ("r", "E", 99): 0}
    (r,) = compare(criteria=criteria, responses=[Response("r", "R")], scale_max=5,
                   scores=scores).results  # fmt: skip
    assert (r.total, r.evaluators) == (D("100.00"), ("E",))
