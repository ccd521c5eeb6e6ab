"""The cap shared by every commission of a line (services.distribution.commissions.cap_claims), pure:
claims are served agents province → city → county, then the store share, then the pickup
reward, each taking at most what is left; the total never exceeds the headroom."""

from __future__ import annotations

import random

from services.distribution.commissions import KIND_AGENT, KIND_STORE_PICKUP, KIND_STORE_SHARE, Claim, cap_claims


def test_deepest_agent_and_stores_are_cut_first():
    claims = [
        Claim(KIND_STORE_PICKUP, 1, 9, {1: 200}),
        Claim(KIND_STORE_SHARE, 1, 9, {1: 500}),
        Claim(KIND_AGENT, 3, 3, {1: 300}),
        Claim(KIND_AGENT, 1, 1, {1: 100}),
        Claim(KIND_AGENT, 2, 2, {1: 200}),
    ]
    served = {(c.kind, c.level): amounts[1] for c, amounts in cap_claims({1: 450}, claims)}
    assert served == {
        (KIND_AGENT, 1): 100,
        (KIND_AGENT, 2): 200,
        (KIND_AGENT, 3): 150,
        (KIND_STORE_SHARE, 1): 0,
        (KIND_STORE_PICKUP, 1): 0,
    }


def test_never_more_than_the_headroom_never_negative_many_random_inputs():
    rng = random.Random(7)
    kinds = [(KIND_AGENT, 1), (KIND_AGENT, 2), (KIND_AGENT, 3), (KIND_STORE_SHARE, 1), (KIND_STORE_PICKUP, 1)]
    for _ in range(2_000):
        lines = list(range(1, rng.randint(1, 4) + 1))
        headroom = {
            ln: rng.randint(-50, 10_000) for ln in lines
        }  # negative: distribution took more than is left after refunds
        claims = [
            Claim(kind, level, i, {ln: rng.randint(-10, 5_000) for ln in lines})
            for i, (kind, level) in enumerate(rng.sample(kinds, rng.randint(0, len(kinds))))
        ]
        served = cap_claims(headroom, claims)
        for ln in lines:
            total = sum(amounts[ln] for _, amounts in served)
            assert all(amounts[ln] >= 0 for _, amounts in served)
            assert total <= max(headroom[ln], 0)
            asked = sum(max(c.asks[ln], 0) for c in claims)
            assert total == min(asked, max(headroom[ln], 0))  # nothing withheld while there is room
