"""Throughput of the GraphQL API against bare Starlette endpoints doing the same DB work.

    .venv/bin/python bench/graphql_vs_bare.py            # SQLite in a temporary directory
    DATABASE_URL=postgres://user@127.0.0.1:5432/bench .venv/bin/python bench/graphql_vs_bare.py
                                    # PostgreSQL: the `public` schema of that database is DROPPED
                                    # (a sqlite:// DATABASE_URL is ignored: always a temporary file)

Not a test: it never fails on timing. It prints requests/second per case and ratios
against the bare baseline measured in the same run, on the same server process.

Cases (all authenticated with a bearer token, as the admin user):
  a  bare   GET  /bare/users          100 users, newest first (same DB reads as b)
  b  gql    POST /graphql             { users(first: 100) { nodes { id nickname avatarUrl inviteCode createdAt } } }
  c  gql    POST /graphql             { me { id nickname } }
  d  bare   GET  /bare/me             the token's user, id and nickname (same DB read as c)

Target: b/a >= 0.5.

One uvicorn process (bench/bench_app.py: the real app + the bare routes) serves all cases;
the load generator runs in its own process: `wrk` when installed, else an httpx/asyncio
client (bench/graphql_vs_bare.py --worker). Server CPU per request is read from
/proc/<pid>/stat, a measure that does not depend on the client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USERS_QUERY = "{ users(first: 100) { nodes { id nickname avatarUrl inviteCode createdAt } } }"
ME_QUERY = "{ me { id nickname } }"
POSTGRES_SCHEMES = ("postgres://", "postgresql://")


# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    key: str
    label: str
    method: str
    path: str
    body: str | None = None  # JSON for POST

    def request_kwargs(self, token: str) -> dict:
        headers = {"Authorization": f"Bearer {token}"}
        if self.body is not None:
            headers["Content-Type"] = "application/json"
            return {"method": self.method, "url": self.path, "headers": headers, "content": self.body.encode()}
        return {"method": self.method, "url": self.path, "headers": headers}


CASES = [
    Case("a", "bare  /bare/users (100 rows)", "GET", "/bare/users?first=100"),
    Case("b", "gql   users(first: 100)", "POST", "/graphql", json.dumps({"query": USERS_QUERY})),
    Case("c", "gql   me { id nickname }", "POST", "/graphql", json.dumps({"query": ME_QUERY})),
    Case("d", "bare  /bare/me", "GET", "/bare/me"),
]


# --------------------------------------------------------------------------- environment


def configure_environment(tmp: Path) -> dict[str, str]:
    """Environment for this process and the server. Must run before `import settings`."""
    # PostgreSQL only when asked for (its `public` schema is dropped); anything else gets a
    # throw-away SQLite file, so a developer's DATABASE_URL=sqlite://... is never deleted.
    if not os.environ.get("DATABASE_URL", "").startswith(POSTGRES_SCHEMES):
        os.environ["DATABASE_URL"] = f"sqlite://{tmp / 'bench.sqlite3'}"
    os.environ["SECRET_KEY"] = os.environ.get("SECRET_KEY") or "bench-secret-key-with-enough-length-for-hs256"
    os.environ["DEBUG"] = "false"
    os.environ["SMS_SENDER"] = "memory"
    os.environ["WECHAT_ADAPTER"] = "fake"
    os.environ["ALLOW_DEV_ADAPTERS"] = "true"  # the development adapters on purpose: safety.py would refuse them
    os.environ["ACCESS_TOKEN_TTL_SECONDS"] = "86400"  # never expires during a run
    # One process: the in-memory broadcast; no Redis round trips in /healthz or lifespan.
    os.environ["REDIS_URL"] = ""
    os.environ["BROADCAST_URL"] = "memory://"
    return dict(os.environ)


async def prepare_database(extra_users: int) -> str:
    """Migrate, seed the admin and `extra_users` users; return the admin's access token."""
    sys.path.insert(0, str(ROOT))
    from tortoise import Tortoise
    from tortoise.migrations.api.migrate import migrate

    import settings  # configured from the environment set above
    from manage import reset_database  # drops the `public` schema / deletes the SQLite file
    from services.accounts import access, auth, referral

    await reset_database()
    await migrate(config=settings.TORTOISE_ORM)
    await Tortoise.close_connections()
    import wiring

    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        await access.sync_catalog()
        admin = await referral.create_user(phone="+8613900000000", nickname="bench-admin")
        await access.grant_role(admin.id, "admin")
        for i in range(1, extra_users + 1):
            await referral.create_user(
                phone=f"+86139{i:08d}", nickname=f"用户{i:04d}", avatar_url=f"https://cdn.example.com/a/{i}.png"
            )
        signed = await auth.start_session(admin, "SMS", auth.ClientInfo(), False)
        return signed.access_token
    finally:
        await Tortoise.close_connections()


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pin_prefixes(enabled: bool) -> tuple[list[str], list[str]]:
    """taskset prefixes (server, client): the server on the last CPU, the client on the others."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return [], []
    if not enabled or len(cpus) < 2 or not shutil.which("taskset"):
        return [], []
    return ["taskset", "-c", str(cpus[-1])], ["taskset", "-c", ",".join(map(str, cpus[:-1]))]


def start_server(
    env: dict[str, str],
    port: int,
    log: Path,
    prefix: list[str],
    app: str = "bench.bench_app:app",
    workers: int = 1,
    extra: tuple[str, ...] = (),
) -> subprocess.Popen:
    """uvicorn; with workers > 1 the pid is uvicorn's supervisor, the workers its children
    (cpu_seconds counts them too)."""
    cmd = [  # taskset execs the command: the pid stays the server's
        *prefix,
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--app-dir",
        str(ROOT),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--lifespan",
        "on",
        *(["--workers", str(workers)] if workers > 1 else []),
        *extra,
    ]
    with open(log, "wb") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(
    proc: subprocess.Popen, base: str, log: Path, timeout: float = 60.0, *, path: str = "/healthz", name: str = "server"
) -> None:
    """Until `base + path` answers 200 (a peer's health route with `path`); the log's tail if it never does."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{base}{path}", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{name} not ready after {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # uvicorn: graceful shutdown, lifespan closes Tortoise
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process and its live children, e.g. uvicorn's workers (Linux), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return own + sum(cpu_seconds(int(child)) or 0.0 for child in children)


# --------------------------------------------------------------------------- sanity


def check_responses(base: str, token: str, expected_users: int) -> None:
    """Every case answers 200 without errors, and each GraphQL/bare pair returns the same data."""
    import httpx

    bodies = {}
    with httpx.Client(base_url=base, timeout=10.0) as client:
        for case in CASES:
            response = client.request(**case.request_kwargs(token))
            body = response.json()
            if response.status_code != 200 or body.get("errors"):
                raise SystemExit(f"case {case.key} ({case.label}) failed: {response.status_code} {body}")
            bodies[case.key] = body
    nodes = bodies["b"]["data"]["users"]["nodes"]
    if len(nodes) != expected_users:
        raise SystemExit(f"expected {expected_users} users from GraphQL, got {len(nodes)}")
    if bodies["a"] != bodies["b"]:
        raise SystemExit("bare /bare/users and GraphQL users return different data")
    if bodies["c"] != bodies["d"]:
        raise SystemExit("bare /bare/me and GraphQL me return different data")


# --------------------------------------------------------------------------- load generators


@dataclass
class Result:
    requests: int
    seconds: float
    errors: int
    latency_ms: float | None = None  # mean
    server_cpu: float | None = None  # seconds of server CPU during the run
    client_cpu: float | None = None  # seconds of load-generator CPU during the run
    extra: dict = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _lua_string(text: str) -> str:
    level = "=" * 4
    assert f"]{level}]" not in text
    return f"[{level}[{text}]{level}]"


def run_wrk(
    base: str, case: Case, token: str, seconds: float, connections: int, threads: int, tmp: Path, prefix: list[str]
) -> Result:
    script = tmp / f"case_{case.key}.lua"
    lines = [f'wrk.method = "{case.method}"', f'wrk.headers["Authorization"] = "Bearer {token}"']
    if case.body is not None:
        lines += ['wrk.headers["Content-Type"] = "application/json"', f"wrk.body = {_lua_string(case.body)}"]
    script.write_text("\n".join(lines) + "\n")
    cmd = [
        *prefix,
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "--latency",
        "-s",
        str(script),
        base + case.path,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"wrk failed:\n{out}")
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if not total:
        raise SystemExit(f"cannot parse wrk output:\n{out}")
    unit = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[total.group(3)]
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        errors += int(non2xx.group(1))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sock:
        errors += sum(int(g) for g in sock.groups())
    latency = None
    lat = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out)
    if lat:
        latency = float(lat.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[lat.group(2)]
    return Result(
        requests=int(total.group(1)),
        seconds=float(total.group(2)) * unit,
        errors=errors,
        latency_ms=latency,
        client_cpu=usage.ru_utime + usage.ru_stime,
    )


def run_json_worker(
    script: str, spec: dict, prefix: list[str], what: str = "load generator", env: dict[str, str] | None = None
) -> dict:
    """Run `script --worker <spec as JSON>` (a bench's load generator in a process of its own,
    under `prefix`: taskset; in `env`, default this process's) and return the JSON object it prints last."""
    proc = subprocess.run(
        [*prefix, sys.executable, str(Path(script).resolve()), "--worker", json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{what} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_httpx(base: str, case: Case, token: str, seconds: float, connections: int, prefix: list[str]) -> Result:
    spec = {"base": base, "request": case.request_kwargs(token), "seconds": seconds, "connections": connections}
    spec["request"].pop("content", None)
    spec["body"] = case.body
    data = run_json_worker(__file__, spec, prefix, "httpx worker")
    return Result(
        requests=data["requests"],
        seconds=data["seconds"],
        errors=data["errors"],
        latency_ms=data["latency_ms"],
        client_cpu=data["cpu"],
    )


def worker_main(spec_json: str) -> None:
    """Load generator process: `connections` concurrent clients for `seconds`."""
    import httpx

    spec = json.loads(spec_json)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    async def main() -> dict:
        limits = httpx.Limits(max_connections=spec["connections"], max_keepalive_connections=spec["connections"])
        request = dict(spec["request"])
        if spec["body"] is not None:
            request["content"] = spec["body"].encode()
        counts = {"requests": 0, "errors": 0, "latency": 0.0}
        async with httpx.AsyncClient(base_url=spec["base"], limits=limits, timeout=30.0) as client:
            deadline = time.perf_counter() + spec["seconds"]

            async def one_client() -> None:
                while time.perf_counter() < deadline:
                    t0 = time.perf_counter()
                    try:
                        response = await client.request(**request)
                        await response.aread()
                        ok = response.status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    counts["latency"] += time.perf_counter() - t0
                    counts["requests"] += 1
                    counts["errors"] += 0 if ok else 1

            start, cpu0 = time.perf_counter(), time.process_time()
            await asyncio.gather(*(one_client() for _ in range(spec["connections"])))
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
        n = counts["requests"]
        return {
            "requests": n,
            "errors": counts["errors"],
            "seconds": elapsed,
            "cpu": cpu,
            "latency_ms": 1e3 * counts["latency"] / n if n else None,
        }

    print(json.dumps(asyncio.run(main())))


# --------------------------------------------------------------------------- main


def measure(args, base: str, token: str, server: subprocess.Popen, tmp: Path, case: Case, seconds: float) -> Result:
    cpu0 = cpu_seconds(server.pid)
    if args.client == "wrk":
        result = run_wrk(base, case, token, seconds, args.connections, args.threads, tmp, args.client_prefix)
    else:
        result = run_httpx(base, case, token, seconds, args.connections, args.client_prefix)
    cpu1 = cpu_seconds(server.pid)
    if cpu0 is not None and cpu1 is not None:
        result.server_cpu = cpu1 - cpu0
    return result


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def total(results: list[Result]) -> Result:
    """All rounds of one case as one run."""
    lat = [r.latency_ms * r.requests for r in results if r.latency_ms is not None]
    n = sum(r.requests for r in results)
    srv = [r.server_cpu for r in results]
    cli = [r.client_cpu for r in results]
    return Result(
        requests=n,
        seconds=sum(r.seconds for r in results),
        errors=sum(r.errors for r in results),
        latency_ms=sum(lat) / n if lat and n else None,
        server_cpu=None if None in srv else sum(srv),
        client_cpu=None if None in cli else sum(cli),
    )


def add_common_arguments(parser: argparse.ArgumentParser, default_cases: str) -> None:
    """Options shared by the benchmarks built on this harness."""
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured per case and round (default 5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up per case, once (default 1)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all cases, interleaved (default 3)")
    parser.add_argument("--connections", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument(
        "--client", choices=["auto", "wrk", "httpx"], default="auto", help="load generator (auto: wrk if installed)"
    )
    parser.add_argument("--cases", default=default_cases, help=f"which cases to run (default {default_cases})")
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="pin the server to the last CPU and the client to the others with taskset (default on)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)


def setup_client(args) -> list[str]:
    """Resolve --client and the CPU pinning; returns the server's taskset prefix."""
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "httpx"
    server_prefix, args.client_prefix = pin_prefixes(args.pin)
    return server_prefix


def print_header(args, server: subprocess.Popen, server_prefix: list[str]) -> None:
    import settings

    db = settings.DATABASE_URL.split("://", 1)[0] + "://" + settings.DATABASE_URL.split("@")[-1].split("://")[-1]
    print(f"database   {db}")
    pinned = f", pinned to CPU {server_prefix[-1]}" if server_prefix else ""
    workers = getattr(args, "workers", 1)
    processes = "1 process" if workers == 1 else f"{workers} worker processes"
    print(
        f"server     uvicorn, {processes} (pid {server.pid}{pinned}), python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"client     {args.client}, {args.connections} connections; per case {args.warmup:g} s warm-up, then "
        f"{args.rounds} x {args.duration:g} s, cases interleaved"
    )
    print(flush=True)


def run_rounds(
    args, base: str, token: str, server: subprocess.Popen, tmp: Path, cases: list[Case]
) -> dict[str, list[Result]]:
    """Warm-up once per case, then `rounds` rounds with the cases interleaved."""
    runs: dict[str, list[Result]] = {c.key: [] for c in cases}
    if args.warmup > 0:
        for case in cases:
            measure(args, base, token, server, tmp, case, args.warmup)
    for round_no in range(1, args.rounds + 1):
        line = []
        for case in cases:
            result = measure(args, base, token, server, tmp, case, args.duration)
            runs[case.key].append(result)
            line.append(f"({case.key}) {result.rps:7.1f}")
        print(f"  round {round_no}   req/s  " + "  ".join(line), flush=True)
    return runs


def print_results(cases: list[Case], runs: dict[str, list[Result]]) -> dict[str, Result]:
    totals = {key: total(results) for key, results in runs.items()}
    print()
    print(
        f"{'case (all rounds)':<38} {'req/s':>9} {'spread':>7} {'lat ms':>7} {'srv CPU':>8} {'srv ms/req':>10} {'cli CPU':>8}"
    )
    for case in cases:
        r = totals[case.key]
        rates = [x.rps for x in runs[case.key]]
        spread = (max(rates) - min(rates)) / max(rates) * 100 if len(rates) > 1 and max(rates) else 0.0
        srv_util = r.server_cpu / r.seconds * 100 if r.server_cpu is not None else None
        srv_ms = r.server_cpu / r.requests * 1e3 if r.server_cpu is not None and r.requests else None
        cli_util = r.client_cpu / r.seconds * 100 if r.client_cpu is not None else None
        print(
            f"({case.key}) {case.label:<34} {r.rps:9.1f} {spread:6.0f}% {fmt(r.latency_ms, '7.1f')} "
            f"{fmt(srv_util, '7.0f')}% {fmt(srv_ms, '10.3f')} {fmt(cli_util, '7.0f')}%"
        )
    print()
    return totals


def print_ratio(
    totals: dict[str, Result], runs: dict[str, list[Result]], num: str, den: str, what: str, target: float | None = None
) -> None:
    if num not in totals or den not in totals or not totals[den].rps:
        return
    value = totals[num].rps / totals[den].rps
    per_round = [n.rps / d.rps for n, d in zip(runs[num], runs[den]) if d.rps]
    text = f"ratio ({num})/({den}) {what:<25} {value:5.2f}"
    if len(per_round) > 1:
        text += f"   per round {min(per_round):.2f}..{max(per_round):.2f}, median {statistics.median(per_round):.2f}"
    n, d = totals[num], totals[den]
    if n.server_cpu and d.server_cpu and n.requests and d.requests:
        text += f"   by server CPU/request {(d.server_cpu / d.requests) / (n.server_cpu / n.requests):.2f}"
    if target is not None:
        text += f"   target >= {target}: {'met' if value >= target else 'NOT met'}"
    print(text)


def print_warnings(args, runs: dict[str, list[Result]], totals: dict[str, Result]) -> None:
    errors = sum(r.errors for results in runs.values() for r in results)
    if errors:
        print(f"\nwarning: {errors} failed requests (non-200 or socket errors) during the measurements")
    if args.client == "httpx" and any((r.client_cpu or 0) > 0.9 * r.seconds for r in totals.values()):
        print("\nwarning: the httpx client used > 90% of a CPU: it may be the bottleneck (install wrk)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser, "abcd")
    parser.add_argument("--users", type=int, default=100, help="users seeded besides the admin (default 100)")
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker)
        return
    server_prefix = setup_client(args)

    tmp = Path(tempfile.mkdtemp(prefix="socialmall-bench-"))
    env = configure_environment(tmp)
    token = asyncio.run(prepare_database(args.users))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp / "server.log"
    server = start_server(env, port, log, server_prefix)
    cases = [c for c in CASES if c.key in args.cases]
    try:
        wait_ready(server, base, log)
        check_responses(base, token, min(100, args.users + 1))
        print_header(args, server, server_prefix)
        runs = run_rounds(args, base, token, server, tmp, cases)
        check_responses(base, token, min(100, args.users + 1))  # still authenticated and consistent
    finally:
        stop_server(server)

    totals = print_results(cases, runs)
    print_ratio(totals, runs, "b", "a", "GraphQL list / bare list", 0.5)
    print_ratio(totals, runs, "c", "d", "GraphQL me / bare me")
    print_warnings(args, runs, totals)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
