"""Server CPU per GraphQL request, this checkout against an earlier commit, in one run.

    .venv/bin/python bench/versus_commit.py 81c42ca          # the commit to compare with
    .venv/bin/python bench/versus_commit.py 81c42ca --batches 30 --rounds 3

Not a test: it never fails on timing. For each case two processes run the app in-process (httpx's ASGI
transport: no sockets, no client in another process) on fresh SQLite databases with the same
data, one on a worktree of the other commit, one on this checkout; the controller has them
run `--batches` batches of requests in turn (timed with `time.thread_time()`), so each pair
of batches ran under the same conditions, and starts fresh processes for each of `--rounds`.
Printed: the min, quartile and median batch of each side, and the median of the paired
ratios, the figure to read. Prints, per case, ms of CPU per request
for both and the ratio this/base (< 1.05: within 5 %). On a noisy machine (a VM whose
neighbours take CPU) those spread by 10-20 % between processes; the count of Python function
calls per request (cProfile, one batch) does not, and is printed too.

Cases: the list and the single-object read of bench/graphql_vs_bare.py (users(first: 100),
me). The other commit's own bench/graphql_vs_bare.py sets up its database, so that commit
must have it (81c42ca and later do).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASES = {
    "users": ("{ users(first: 100) { nodes { id nickname avatarUrl inviteCode createdAt } } }", 20),
    "me": ("{ me { id nickname } }", 100),
}

WORKER = r"""
import asyncio, json, os, sys, tempfile, time
from pathlib import Path
root = Path(sys.argv[1]); query = sys.argv[2]; per_batch = int(sys.argv[3])
sys.path.insert(0, str(root)); os.chdir(root)
from bench.graphql_vs_bare import configure_environment, prepare_database
configure_environment(Path(tempfile.mkdtemp()))
os.environ["ALLOW_DEV_ADAPTERS"] = "true"

async def main():
    token = await prepare_database(200)
    import httpx
    from app import create_app
    app = create_app(manage_database=True)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"query": query})
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            for _ in range(30):  # warm-up: caches, connections, the interpreter's specialisation
                response = await client.post("/graphql", content=body, headers=headers)
            assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
            import cProfile, pstats
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(per_batch):
                await client.post("/graphql", content=body, headers=headers)
            profile.disable()
            print(json.dumps({"calls": pstats.Stats(profile).total_calls / per_batch}), flush=True)
            # Then one batch per line on stdin, so the controller can interleave two workers.
            loop = asyncio.get_running_loop()
            while (await loop.run_in_executor(None, sys.stdin.readline)).strip() == "batch":
                started = time.thread_time()
                for _ in range(per_batch):
                    await client.post("/graphql", content=body, headers=headers)
                print(json.dumps({"ms": (time.thread_time() - started) / per_batch * 1000}), flush=True)


asyncio.run(main())
"""


class Worker:
    """The app in a process of its own, on `tree`'s code; one batch per `batch()`."""

    def __init__(self, tree: Path, query: str, per_batch: int) -> None:
        self.tree = tree
        self.log = tempfile.TemporaryFile(mode="w+")  # the app's log: a pipe nobody reads would fill and block it
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tree), query, str(per_batch)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
        )
        self.calls = self._read()["calls"]

    def _read(self) -> dict:
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.log.seek(0)
                raise SystemExit(f"worker in {self.tree} failed:\n{self.log.read()[-3000:]}")
            if line.startswith("{"):
                return json.loads(line)

    def batch(self) -> float:
        self.proc.stdin.write("batch\n")
        self.proc.stdin.flush()
        return self._read()["ms"]

    def stop(self) -> None:
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.write("stop\n")
            self.proc.stdin.close()
        self.proc.wait(30)
        self.log.close()


def summary(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)
    return ordered[0], ordered[len(ordered) // 4], statistics.median(ordered)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", help="the commit to compare with (e.g. 81c42ca)")
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2, help="base/this alternations per case")
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.base],
            check=True,
            capture_output=True,
        )
        try:
            print(f"server CPU per request, ms (min / p25 / median of {args.batches} batches, {args.rounds} rounds)")
            for key in args.cases.split(","):
                query, per_batch = CASES[key]
                times: dict[str, list[float]] = {"base": [], "this": []}
                ratios: list[float] = []
                calls: dict[str, float] = {}
                for _ in range(args.rounds):  # fresh processes each round
                    workers = {"base": Worker(base, query, per_batch), "this": Worker(ROOT, query, per_batch)}
                    try:
                        calls = {name: worker.calls for name, worker in workers.items()}
                        for i in range(args.batches):  # paired batches, the order alternating
                            order = ("base", "this") if i % 2 == 0 else ("this", "base")
                            pair = {name: workers[name].batch() for name in order}
                            for name, ms in pair.items():
                                times[name].append(ms)
                            ratios.append(pair["this"] / pair["base"])
                    finally:
                        for worker in workers.values():
                            worker.stop()
                b, t = summary(times["base"]), summary(times["this"])
                print(
                    f"{key:<6} base {b[0]:6.2f} / {b[1]:6.2f} / {b[2]:6.2f}   this {t[0]:6.2f} / {t[1]:6.2f} / {t[2]:6.2f}"
                    f"   this/base: min {t[0] / b[0]:.3f}  p25 {t[1] / b[1]:.3f}  median {t[2] / b[2]:.3f}"
                )
                quartiles = statistics.quantiles(ratios, n=4)
                print(
                    f"{'':<6} paired batches (this/base, {len(ratios)} pairs run back to back): median"
                    f" {statistics.median(ratios):.3f}, quartiles {quartiles[0]:.3f}..{quartiles[2]:.3f}"
                )
                print(
                    f"{'':<6} Python function calls per request: base {calls['base']:.0f}, this {calls['this']:.0f}"
                    f"   this/base {calls['this'] / calls['base']:.3f}  (does not depend on the machine's load)"
                )
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], capture_output=True)


if __name__ == "__main__":
    main()
