"""Pure distribution arithmetic (DIS-1, DIS-2, DIS-4): settings checks, rule choice, the
split (exact, never above the base, deepest level cut first) and pro rata reversals."""

from __future__ import annotations

import random

import pytest

from services.core.errors import DomainError
from services.distribution.commission_math import (
    BP,
    FIXED,
    PERCENT,
    Config,
    Rule,
    build_config,
    raw_amount,
    resolve_rules,
    reversal_share,
    split_line,
)

GRADES = ("V1", "V2", "V3")


def config(*rules: tuple[str, int], self_purchase=False, freeze_days=7, grade_rules=()) -> Config:
    return build_config(
        len(rules),
        [(i + 1, k, v) for i, (k, v) in enumerate(rules)],
        self_purchase=self_purchase,
        freeze_days=freeze_days,
        grade_rules=grade_rules,
        grades=GRADES,
    )


def test_the_seeds_promotion_commission():
    cfg = config((FIXED, 10_000))
    assert split_line(220_000, 1, resolve_rules(cfg, [""])) == [10_000]  # 100 yuan per retail unit


def test_percentages_round_down_and_fixed_is_per_unit():
    cfg = config((PERCENT, 1000), (PERCENT, 500), (FIXED, 7))
    assert split_line(10_011, 3, resolve_rules(cfg, ["", "", ""])) == [1001, 500, 21]


def test_deepest_level_is_cut_first_when_the_rules_ask_for_more_than_the_base():
    cfg = config((FIXED, 600), (FIXED, 300), (FIXED, 300))
    assert split_line(1000, 1, resolve_rules(cfg, ["", "", ""])) == [600, 300, 100]
    assert split_line(700, 1, resolve_rules(cfg, ["", "", ""])) == [600, 100, 0]
    assert split_line(500, 1, resolve_rules(cfg, ["", "", ""])) == [500, 0, 0]
    assert split_line(0, 1, resolve_rules(cfg, ["", "", ""])) == [0, 0, 0]


def test_rule_precedence_product_then_grade_then_level():
    cfg = config(
        (PERCENT, 1000), (PERCENT, 500), (PERCENT, 100), grade_rules=[("V2", 1, FIXED, 50), ("V2", 2, PERCENT, 800)]
    )
    assert resolve_rules(cfg, ["V2", "V2", ""]) == [Rule(FIXED, 50), Rule(PERCENT, 800), Rule(PERCENT, 100)]
    assert resolve_rules(cfg, ["V2", "V1", "V2"], product_rates={"1": 300}) == [
        Rule(PERCENT, 300),
        Rule(PERCENT, 500),
        Rule(PERCENT, 100),
    ]
    assert resolve_rules(cfg, ["", ""]) == [Rule(PERCENT, 1000), Rule(PERCENT, 500)]  # a chain of two: two levels
    assert resolve_rules(cfg, ["", "", ""], enabled=False) == []
    one_level = config((PERCENT, 1000))
    assert resolve_rules(one_level, ["", "", ""], product_rates={"2": 500}) == [Rule(PERCENT, 1000)]


@pytest.mark.parametrize(
    "levels,rules,grade_rules,freeze,code,field",
    [
        (
            4,
            [(1, FIXED, 1), (2, FIXED, 1), (3, FIXED, 1), (4, FIXED, 1)],
            [],
            7,
            "DISTRIBUTION_LEVELS_EXCEEDED",
            "levels",
        ),
        (3, [(1, FIXED, 1), (2, FIXED, 1), (4, FIXED, 1)], [], 7, "DISTRIBUTION_LEVELS_EXCEEDED", "rules"),
        (0, [], [], 7, "INVALID_INPUT", "levels"),
        (2, [(1, PERCENT, 6000), (2, PERCENT, 4001)], [], 7, "COMMISSION_RATES_EXCEED_BASE", "rules"),
        (1, [(1, PERCENT, 10_001)], [], 7, "COMMISSION_RATES_EXCEED_BASE", "rules"),
        (
            2,
            [(1, PERCENT, 5000), (2, PERCENT, 5000)],
            [("V1", 1, PERCENT, 5001)],
            7,
            "COMMISSION_RATES_EXCEED_BASE",
            "rules",
        ),
        (1, [(1, FIXED, -1)], [], 7, "INVALID_RATE", "rules"),
        (1, [(1, PERCENT, -5)], [], 7, "INVALID_RATE", "rules"),
        (1, [(1, PERCENT, 100)], [("V1", 1, FIXED, -1)], 7, "INVALID_RATE", "gradeRules"),
        (2, [(1, FIXED, 1)], [], 7, "INVALID_INPUT", "rules"),
        (1, [(1, FIXED, 1), (1, FIXED, 2)], [], 7, "INVALID_INPUT", "rules"),
        (1, [(1, FIXED, 1), (2, FIXED, 2)], [], 7, "INVALID_INPUT", "rules"),
        (1, [(1, "BONUS", 1)], [], 7, "INVALID_INPUT", "rules"),
        (1, [(1, FIXED, 1)], [("V9", 1, FIXED, 1)], 7, "INVALID_INPUT", "gradeRules"),
        (1, [(1, FIXED, 1)], [], -1, "INVALID_INPUT", "freezeDays"),
        (1, [(1, FIXED, 1)], [], 366, "INVALID_INPUT", "freezeDays"),
    ],
)
def test_bad_settings_have_stable_codes(levels, rules, grade_rules, freeze, code, field):
    with pytest.raises(DomainError) as caught:
        build_config(levels, rules, self_purchase=False, freeze_days=freeze, grade_rules=grade_rules, grades=GRADES)
    assert (caught.value.code.value, caught.value.field) == (code, field)


def test_exactly_one_hundred_percent_is_allowed():
    cfg = config((PERCENT, 5000), (PERCENT, 3000), (PERCENT, 2000))
    assert sum(split_line(9_999, 1, resolve_rules(cfg, ["", "", ""]))) <= 9_999


def _random_rule(rng: random.Random) -> Rule:
    if rng.random() < 0.5:
        return Rule(FIXED, rng.choice([0, 1, rng.randint(0, 500), rng.randint(0, 10**6)]))
    return Rule(PERCENT, rng.choice([0, 1, BP, rng.randint(0, BP)]))


def test_property_splits_and_reversals_are_exact():
    """≥ 10,000 random lines: never above the base, never negative, exactly the rules when
    they fit; reversing every unit in random steps gives back exactly what was booked."""
    rng = random.Random(20261129)
    cut_cases = 0
    for _ in range(12_000):
        quantity = rng.randint(1, 50)
        base = rng.choice([0, 1, rng.randint(0, 10_000), rng.randint(0, 10**9)])
        rules = [_random_rule(rng) for _ in range(rng.randint(0, 3))]
        amounts = split_line(base, quantity, rules)
        raws = [raw_amount(r, base, quantity) for r in rules]
        assert len(amounts) == len(rules)
        assert all(a >= 0 for a in amounts) and sum(amounts) <= base
        if sum(raws) <= base:
            assert amounts == raws
        else:  # cut from the deepest level: a level is short only when every deeper level got nothing
            cut_cases += 1
            assert sum(amounts) == base
            for i, (a, raw) in enumerate(zip(amounts, raws)):
                if a < raw:
                    assert all(x == 0 for x in amounts[i + 1 :])
        for amount in amounts:
            refunded, reversed_total = 0, 0
            while refunded < quantity:
                step = rng.randint(1, quantity - refunded)
                share = reversal_share(amount, quantity, refunded, step)
                assert 0 <= share <= amount - reversed_total
                refunded += step
                reversed_total += share
                assert reversed_total == amount * refunded // quantity  # cumulative floor
            assert reversed_total == amount
    assert cut_cases > 100  # the cap was exercised, not only the easy case


def test_property_valid_settings_always_build_and_never_split_above_the_base():
    rng = random.Random(7)
    for _ in range(2_000):
        levels = rng.randint(1, 3)
        left = BP
        rules = []
        for level in range(1, levels + 1):
            if rng.random() < 0.5:
                value = rng.randint(0, left)
                left -= value
                rules.append((level, PERCENT, value))
            else:
                rules.append((level, FIXED, rng.randint(0, 10**5)))
        cfg = build_config(
            levels, rules, self_purchase=rng.random() < 0.5, freeze_days=rng.randint(0, 30), grades=GRADES
        )
        base, quantity = rng.randint(0, 10**7), rng.randint(1, 20)
        assert sum(split_line(base, quantity, resolve_rules(cfg, [""] * 3))) <= base
