"""The response cache: a storefront search answered from the cache against the same search executed.

    .venv/bin/python bench/response_cache.py            # SQLite in a temporary directory, in-process cache
    .venv/bin/python bench/response_cache.py --redis redis://127.0.0.1:6379/15   # the cache on Redis
    DATABASE_URL=postgres://user@127.0.0.1:5432/bench .venv/bin/python bench/response_cache.py
                                    # PostgreSQL: the `public` schema of that database is DROPPED

Seeds the catalog of bench/search_vs_bare.py (10,000 listed products, 1-3 SKUs each, 20
merchants), then starts two servers of the same app on the same CPU and measures, in the same
run and interleaved:

  a  miss  RESPONSE_CACHE=false   POST /graphql  searchProducts(keyword: "连衣裙", first: 50) { nodes {
           id title minPrice totalStock skus { id code price stock } merchant { id name logoUrl } } }
  b  hit   RESPONSE_CACHE=true    the same request: after the first, every answer comes from the cache

Both send the same bearer token: the miss authenticates it and executes the query, the hit
answers before either (searchProducts never reads the viewer, so signed-in viewers share it).
Checks that both servers answer the same bytes with 50 products and that (b) is a hit, then
prints the hit/miss ratio by requests per second (wall time, at the client's concurrency) and
by server CPU per request. Target: >= 5. Not a test: it never fails on timing. The harness
(servers, load generator, report) is bench/graphql_vs_bare.py's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.graphql_vs_bare import (
    Case,
    add_common_arguments,
    configure_environment,
    free_port,
    measure,
    prepare_database,
    print_header,
    print_ratio,
    print_results,
    print_warnings,
    setup_client,
    start_server,
    stop_server,
    wait_ready,
    worker_main,
)
from bench.search_vs_bare import KEYWORD, NODES, seed_catalog

HEADER = "x-response-cache"


def cases(first: int) -> list[Case]:
    body = json.dumps({"query": f'{{ searchProducts(keyword: "{KEYWORD}", first: {first}) {{ {NODES} }} }}'})
    return [
        Case("a", f"miss  searchProducts, cache off ({first})", "POST", "/graphql", body),
        Case("b", f"hit   searchProducts, cached ({first})", "POST", "/graphql", body),
    ]


def check_responses(bases: dict[str, str], token: str, case: Case, first: int) -> None:
    """Both servers answer 200 with the same bytes and a full page; (b)'s answer is a hit."""
    import httpx

    bodies, headers = {}, {}
    for key, base in bases.items():
        with httpx.Client(base_url=base, timeout=30.0) as client:
            for _ in range(2):  # the second request to (b) is answered from the cache
                response = client.request(**case.request_kwargs(token))
            body = response.json()
            if response.status_code != 200 or body.get("errors"):
                raise SystemExit(f"server ({key}) failed: {response.status_code} {body}")
            bodies[key], headers[key] = response.content, response.headers.get(HEADER)
    nodes = json.loads(bodies["b"])["data"]["searchProducts"]["nodes"]
    if len(nodes) != first or not all(n["skus"] and n["merchant"]["name"] for n in nodes):
        raise SystemExit(f"returned {len(nodes)} products, expected {first} with SKUs and merchant")
    if bodies["a"] != bodies["b"]:
        raise SystemExit("the cached answer differs from the executed one")
    if headers != {"a": None, "b": "hit"}:
        raise SystemExit(f"expected no cache on (a) and a hit on (b), got {headers}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser, "ab")
    parser.add_argument("--products", type=int, default=10_000, help="products seeded (default 10000)")
    parser.add_argument("--first", type=int, default=50, help="products per page (default 50)")
    parser.add_argument("--redis", default="", help="a Redis URL: the cached server keeps its cache there")
    parser.add_argument("--ttl", type=int, default=3600, help="RESPONSE_CACHE_TTL of the cached server (default 3600)")
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker)
        return
    server_prefix = setup_client(args)

    tmp = Path(tempfile.mkdtemp(prefix="socialmall-bench-cache-"))
    env = configure_environment(tmp)
    token = asyncio.run(prepare_database(0))
    started = time.perf_counter()
    asyncio.run(seed_catalog(args.products))
    print(f"seed time  {time.perf_counter() - started:.1f} s")

    envs = {
        "a": {**env, "RESPONSE_CACHE": "false"},
        "b": {**env, "RESPONSE_CACHE": "true", "RESPONSE_CACHE_TTL": str(args.ttl)},
    }
    if args.redis:
        envs["b"].update(REDIS_URL=args.redis, BROADCAST_CHANNEL_PREFIX="bench-response-cache:")
    selected = [c for c in cases(args.first) if c.key in args.cases]
    servers, bases = {}, {}
    try:
        for key in "ab":  # both on the server CPU: measured one at a time, never together
            port = free_port()
            bases[key] = f"http://127.0.0.1:{port}"
            servers[key] = start_server(envs[key], port, tmp / f"server_{key}.log", server_prefix)
        for key in "ab":
            wait_ready(servers[key], bases[key], tmp / f"server_{key}.log")
        check_responses(bases, token, cases(args.first)[0], args.first)
        print_header(args, servers["b"], server_prefix)
        print(
            f"cache      {'Redis ' + args.redis if args.redis else 'in the process'}; miss server pid {servers['a'].pid}"
        )
        print()
        runs = {c.key: [] for c in selected}
        if args.warmup > 0:
            for case in selected:
                measure(args, bases[case.key], token, servers[case.key], tmp, case, args.warmup)
        for round_no in range(1, args.rounds + 1):
            line = []
            for case in selected:
                result = measure(args, bases[case.key], token, servers[case.key], tmp, case, args.duration)
                runs[case.key].append(result)
                line.append(f"({case.key}) {result.rps:8.1f}")
            print(f"  round {round_no}   req/s  " + "  ".join(line), flush=True)
        check_responses(bases, token, cases(args.first)[0], args.first)
    finally:
        for server in servers.values():
            stop_server(server)

    totals = print_results(selected, runs)
    print_ratio(totals, runs, "b", "a", "hit / miss", 5)
    print_warnings(args, runs, totals)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
