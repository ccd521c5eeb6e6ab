"""Pure distribution arithmetic (三级分销, DIS-1, DIS-2, DIS-4): no database here, tested
on its own (tests/unit/test_distribution_math.py).

Settings (`Config`): 1 to 3 levels (never more: RISK-1 compliance cap), one rule per
level, FIXED (fen per unit bought) or PERCENT (basis points of the commission base);
optional per-grade rules (DIS-6: a beneficiary of grade V2 may earn another rate at a
level); self-purchase on/off; the freeze period in days.

Which rule pays a level (`resolve_rules`), first match wins:
  1. the product's override for that level (`Product.distribution_rates`, basis points);
  2. the beneficiary's grade rule for that level;
  3. the level's default rule.
A product with distribution turned off pays nothing.

The split (`split_line`): each level's raw amount is FIXED value × quantity, or
base × bp // 10000 (rounded down: never more than the rate). The amounts never exceed the
base together: levels are served from level 1 down, each taking at most what is left, so
when the rules ask for more than the base the DEEPEST levels are cut first (level 3, then
level 2 …). Amounts are whole fen, never negative.

Reversal (`reversal_share`): refunding q more of a line's n units reverses
amount × (refunded + q) // n − amount × refunded // n of each commission (cumulative
floor, `services.orders.pricing.refund_share`), so reversing every unit, in any number of steps,
returns exactly the amount booked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from services.core.errors import DomainError, ErrorCode
from services.orders.pricing import refund_share

FIXED = "FIXED"
PERCENT = "PERCENT"
KINDS = (FIXED, PERCENT)
BP = 10_000  # basis points in a whole
MAX_LEVELS = 3  # RISK-1: distribution depth is never more than three levels
MAX_FIXED = 10**10  # fen per unit (100 million yuan): far above any real commission
MAX_FREEZE_DAYS = 365


@dataclass(frozen=True)
class Rule:
    kind: str  # FIXED (fen per unit) or PERCENT (basis points of the base)
    value: int


@dataclass(frozen=True)
class Config:
    levels: int
    rules: tuple[Rule, ...]  # rules[i] pays level i + 1
    self_purchase: bool = False  # on: the buyer is level 1 of their own purchase
    freeze_days: int = 7
    # grade -> level -> rule (DIS-6 grade-specific rates)
    grade_rules: Mapping[str, Mapping[int, Rule]] = field(default_factory=dict)


def _bad(code: ErrorCode, message: str, field_name: str) -> DomainError:
    return DomainError(code, message, field_name)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _rule(kind, value, field_name: str) -> Rule:
    if kind not in KINDS:
        raise _bad(ErrorCode.INVALID_INPUT, "A rule is FIXED (fen per unit) or PERCENT (basis points).", field_name)
    if not _is_int(value) or value < 0:
        raise _bad(ErrorCode.INVALID_RATE, "Commission rates and amounts are 0 or more.", field_name)
    if kind == PERCENT and value > BP:
        raise _bad(
            ErrorCode.COMMISSION_RATES_EXCEED_BASE, "A percentage is at most 100 % (10000 basis points).", field_name
        )
    if kind == FIXED and value > MAX_FIXED:
        raise _bad(ErrorCode.INVALID_RATE, "That fixed amount is out of range.", field_name)
    return Rule(kind, value)


def _level(level, levels: int, field_name: str) -> int:
    if not _is_int(level) or level < 1:
        raise _bad(ErrorCode.INVALID_INPUT, "Levels are numbered from 1.", field_name)
    if level > MAX_LEVELS:
        raise _bad(ErrorCode.DISTRIBUTION_LEVELS_EXCEEDED, f"Distribution has at most {MAX_LEVELS} levels.", field_name)
    if level > levels:
        raise _bad(ErrorCode.INVALID_INPUT, f"There is no level {level}: {levels} level(s) are on.", field_name)
    return level


def build_config(
    levels,
    rules: Iterable[tuple[int, str, int]],
    *,
    self_purchase: bool,
    freeze_days,
    grade_rules: Iterable[tuple[str, int, str, int]] = (),
    grades: Iterable[str] = (),
) -> Config:
    """Check settings given as (level, kind, value) rows and (grade, level, kind, value)
    rows; raise a DomainError with a stable code, or return the Config.

    Codes: DISTRIBUTION_LEVELS_EXCEEDED (more than three levels, RISK-1);
    COMMISSION_RATES_EXCEED_BASE (a percentage above 100 %, or percentages that could add
    up to more than 100 % of the base); INVALID_RATE (negative or absurd amounts);
    INVALID_INPUT (rules missing, repeated, for levels that are off, unknown grades, the
    freeze period out of 0..365 days)."""
    if not _is_int(levels) or levels < 1:
        raise _bad(ErrorCode.INVALID_INPUT, "At least one level.", "levels")
    if levels > MAX_LEVELS:
        raise _bad(
            ErrorCode.DISTRIBUTION_LEVELS_EXCEEDED,
            f"Distribution has at most {MAX_LEVELS} levels (compliance).",
            "levels",
        )
    by_level: dict[int, Rule] = {}
    for level, kind, value in rules:
        level = _level(level, levels, "rules")
        if level in by_level:
            raise _bad(ErrorCode.INVALID_INPUT, f"Level {level} has two rules.", "rules")
        by_level[level] = _rule(kind, value, "rules")
    missing = [lv for lv in range(1, levels + 1) if lv not in by_level]
    if missing:
        raise _bad(ErrorCode.INVALID_INPUT, f"Give one rule per level; level {missing[0]} has none.", "rules")
    known = set(grades)
    by_grade: dict[str, dict[int, Rule]] = {}
    for grade, level, kind, value in grade_rules:
        if grade not in known:
            raise _bad(ErrorCode.INVALID_INPUT, f"Unknown grade {grade!r}.", "gradeRules")
        level = _level(level, levels, "gradeRules")
        if level in by_grade.get(grade, {}):
            raise _bad(ErrorCode.INVALID_INPUT, f"Grade {grade} has two rules for level {level}.", "gradeRules")
        by_grade.setdefault(grade, {})[level] = _rule(kind, value, "gradeRules")
    # Whatever grades the beneficiaries hold, percentages never add up to more than the base.
    worst = 0
    for level in range(1, levels + 1):
        candidates = [by_level[level], *(g[level] for g in by_grade.values() if level in g)]
        worst += max((r.value for r in candidates if r.kind == PERCENT), default=0)
    if worst > BP:
        raise _bad(
            ErrorCode.COMMISSION_RATES_EXCEED_BASE,
            "The levels' percentages add up to more than 100 % of the base.",
            "rules",
        )
    if not isinstance(self_purchase, bool):
        raise _bad(ErrorCode.INVALID_INPUT, "Self-purchase commission is on or off.", "selfPurchase")
    if not _is_int(freeze_days) or not 0 <= freeze_days <= MAX_FREEZE_DAYS:
        raise _bad(ErrorCode.INVALID_INPUT, f"The freeze period is 0 to {MAX_FREEZE_DAYS} days.", "freezeDays")
    return Config(
        levels=levels,
        rules=tuple(by_level[lv] for lv in range(1, levels + 1)),
        self_purchase=self_purchase,
        freeze_days=freeze_days,
        grade_rules=by_grade,
    )


def resolve_rules(
    config: Config, grades: list[str], *, enabled: bool = True, product_rates: Mapping[str, int] | None = None
) -> list[Rule]:
    """The rule paying each level, for beneficiaries of `grades` (level 1 first; at most
    `config.levels` of them): product override, else grade rule, else the level's rule."""
    if not enabled:
        return []
    overrides = product_rates or {}
    chosen = []
    for index, grade in enumerate(grades[: config.levels]):
        level = index + 1
        if str(level) in overrides:
            chosen.append(Rule(PERCENT, int(overrides[str(level)])))
        elif level in config.grade_rules.get(grade, {}):
            chosen.append(config.grade_rules[grade][level])
        else:
            chosen.append(config.rules[index])
    return chosen


def raw_amount(rule: Rule, base: int, quantity: int) -> int:
    return rule.value * quantity if rule.kind == FIXED else base * rule.value // BP


def split_line(base: int, quantity: int, rules: list[Rule]) -> list[int]:
    """Each level's commission on a line whose paid goods amount is `base` for `quantity`
    units; level 1 first. Never negative; the sum never exceeds `base`: when the rules ask
    for more, the deepest levels are cut first."""
    if base < 0 or quantity < 0:
        raise ValueError("base and quantity must not be negative")
    left = base
    amounts = []
    for rule in rules:
        amount = min(max(raw_amount(rule, base, quantity), 0), left)
        amounts.append(amount)
        left -= amount
    return amounts


def reversal_share(amount: int, line_quantity: int, refunded_before: int, quantity: int) -> int:
    """What refunding `quantity` more of a line's `line_quantity` units reverses of a
    commission of `amount` (cumulative floor: every unit reversed returns `amount`)."""
    return refund_share(amount, line_quantity, refunded_before, quantity)
