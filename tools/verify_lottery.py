"""Re-compute every draw of a closed points lottery from its revealed seed (MKT-4).

    python tools/verify_lottery.py ACTIVITY_ID

Reads the activity, its prizes and every recorded draw from the database the settings name
(DATABASE_URL), checks sha256(seed) is the hash published before the lottery opened, and
re-computes each draw by the published function (services/marketing/lottery_fair.py:
HMAC-SHA256(seed, "activity:user:sequence") -> roll -> prize by cumulative probability, a
prize out of stock at that draw -> nothing). Prints every difference; exits 1 if there is
any (an outcome altered in the database, a roll that is not the seed's, a prize awarded past
its stock), 2 if the lottery is unknown or still open, 0 when every draw checks out.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


async def run(activity_id: int) -> list[str]:
    """The problems found (the database already initialised)."""
    from services.marketing import lottery

    return await lottery.audit(activity_id)


async def main(argv: list[str]) -> int:
    from tortoise import Tortoise

    import settings
    import wiring
    from services.core.errors import DomainError

    if len(argv) != 1 or not argv[0].isdigit():
        print(__doc__, file=sys.stderr)
        return 2
    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        problems = await run(int(argv[0]))
    except DomainError as exc:
        print(f"{exc.code.value}: {exc.message}", file=sys.stderr)
        return 2
    finally:
        await Tortoise.close_connections()
    for problem in problems:
        print(problem)
    print("FAILED" if problems else "OK: the seed matches its hash and every draw is the seed's")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
