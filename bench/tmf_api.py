"""Benchmark: the TMF API over 100k offerings and 100k customers, against a bare FastAPI ceiling.

    .venv/bin/python bench/tmf_api.py [--rows 100000] [--seconds 8] [--reuse]

Loads the data into a fresh SQLite database (var/bench/), serves it with `ossbss serve`, serves
the same JSON from bench/ceiling.py, drives both with wrk, and prints each figure with its ratio
to the ceiling measured in the same run (this machine is shared and noisy: compare ratios).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench"
KEY = "ossbss_bench-admin-key"
console = Console()


@dataclass
class Run:
    rps: float
    p99_ms: float


def load(rows: int, database_url: str) -> None:
    from ossbss import bootstrap, party
    from ossbss.kernel import Settings
    from ossbss.tmf import import_resources

    platform = bootstrap.build(Settings(database_url=database_url, admin_api_key=KEY))
    bootstrap.migrate(database_url)
    rng = random.Random(7)
    batch = 5000
    with Progress(console=console) as progress:
        task = progress.add_task("individuals + customers", total=rows)
        for start in range(0, rows, batch):
            size = min(batch, rows - start)
            with platform.database.unit_of_work() as session:
                now = platform.clock.now()
                people = [
                    {"givenName": f"Given{n}", "familyName": f"Family{rng.randrange(10_000):05d}"}
                    for n in range(start, start + size)
                ]
                ids = import_resources(session, resource=party.INDIVIDUAL, payloads=people, now=now)
                customers = [
                    {
                        "name": f"Customer {n:06d}",
                        "status": "Active" if n % 20 else "Approved",
                        "engagedParty": {"id": pid, "@referredType": "Individual"},
                        "relatedParty": [
                            {"id": pid, "role": "owner", "@referredType": "Individual"}
                        ],
                    }
                    for n, pid in zip(range(start, start + size), ids, strict=True)
                ]
                import_resources(session, resource=party.CUSTOMER, payloads=customers, now=now)
            progress.advance(task, size)
        for name, resource, make in _offering_loaders(rng):
            task = progress.add_task(name, total=rows)
            for start in range(0, rows, batch):
                size = min(batch, rows - start)
                with platform.database.unit_of_work() as session:
                    payloads = [make(n) for n in range(start, start + size)]
                    import_resources(
                        session, resource=resource, payloads=payloads, now=platform.clock.now()
                    )
                progress.advance(task, size)
    bootstrap.admin_key(platform)
    platform.close()


def _offering_loaders(rng: random.Random) -> list[tuple[str, object, object]]:
    from ossbss import catalog

    offering = getattr(catalog, "PRODUCT_OFFERING", None)
    if offering is None:
        return []

    def make(n: int) -> dict[str, object]:
        return {
            "name": f"Offer {n:06d}",
            "lifecycleStatus": "Launched" if n % 20 else "In design",
            "isBundle": False,
            "validFor": {"startDateTime": f"20{20 + n % 6}-01-01T00:00:00Z"},
        }

    return [("offerings", offering, make)]


def start(
    command: list[str], env: dict[str, str], port: int, health: str
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{health}", timeout=1).status_code < 500:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server on port {port} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def wrk(url: str, *, connections: int, seconds: int, script: Path | None = None) -> Run:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    command += ["-H", f"Authorization: Bearer {KEY}"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"wrk saw errors on {url}:\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]  # type: ignore[union-attr]
    return Run(rps=rps, p99_ms=float(p99.group(1)) * scale)  # type: ignore[union-attr]


def lua_get_ids(path: str, ids: list[str]) -> Path:
    script = WORK / f"get_{path.strip('/').replace('/', '_')}.lua"
    quoted = ",".join(f'"{i}"' for i in ids)
    script.write_text(
        f"local ids = {{{quoted}}}\n"
        "request = function()\n"
        f'  return wrk.format("GET", "{path}/" .. ids[math.random(#ids)])\n'
        "end\n"
    )
    return script


def lua_post(path: str, party_ids: list[str]) -> Path:
    script = WORK / f"post_{path.strip('/').replace('/', '_')}.lua"
    quoted = ",".join(f'"{i}"' for i in party_ids)
    script.write_text(
        f"local ids = {{{quoted}}}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  local party = ids[math.random(#ids)]\n"
        '  local body = \'{"name":"Bench \' .. n .. \'","engagedParty":{"id":"\' .. party '
        '.. \'","@referredType":"Individual"}}\'\n'
        "  local headers = {}\n"
        "  for name, value in pairs(wrk.headers) do headers[name] = value end\n"
        '  headers["Content-Type"] = "application/json"\n'
        f'  return wrk.format("POST", "{path}", headers, body)\n'
        "end\n"
    )
    return script


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    db_path = WORK / "bench.db"
    database_url = f"sqlite:///{db_path}"
    if not (args.reuse and db_path.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        load(args.rows, database_url)

    env = {**os.environ, "OSSBSS_DATABASE_URL": database_url, "OSSBSS_ADMIN_API_KEY": KEY}
    ours = start(
        [sys.executable, "-m", "ossbss.cli", "serve", "--port", "8301"], env, 8301, "/health"
    )
    base = "http://127.0.0.1:8301"
    customers = "/tmf-api/customerManagement/v4/customer"
    headers = {"Authorization": f"Bearer {KEY}"}
    try:
        page = httpx.get(f"{base}{customers}?limit=100", headers=headers).json()
        sample_ids = [
            c["id"]
            for c in httpx.get(
                f"{base}{customers}?limit=1000&offset=5000&fields=id", headers=headers
            ).json()
        ]
        party_ids = [c["engagedParty"]["id"] for c in page]
        samples = WORK / "samples.json"
        samples.write_text(json.dumps({"list": page, "item": page[0]}))
        ceiling = start(
            [sys.executable, str(ROOT / "bench" / "ceiling.py"), str(samples), "8302"],
            env,
            8302,
            "/list",
        )
        try:
            results = measure(
                base, "http://127.0.0.1:8302", customers, sample_ids, party_ids, args.seconds
            )
        finally:
            stop(ceiling)
    finally:
        stop(ours)
    report(results)


def measure(
    base: str, ceiling: str, customers: str, ids: list[str], party_ids: list[str], seconds: int
) -> dict[str, Run]:
    offerings = "/tmf-api/productCatalogManagement/v4/productOffering"
    get_script = lua_get_ids(customers, ids)
    ceiling_get = lua_get_ids("/item", ids)
    runs: dict[str, Run] = {}
    plan: list[tuple[str, str, Path | None]] = [
        ("ceiling list", f"{ceiling}/list", None),
        ("customer list", f"{base}{customers}?limit=100", None),
        ("customer filtered list", f"{base}{customers}?limit=100&status=Approved", None),
        ("customer list offset 90000", f"{base}{customers}?limit=100&offset=90000", None),
        (
            "customer filtered offset 90000",
            f"{base}{customers}?limit=100&offset=90000&status=Active",
            None,
        ),
        ("offering list", f"{base}{offerings}?limit=100", None),
        (
            "offering filtered list",
            f"{base}{offerings}?limit=100&lifecycleStatus=In%20design",
            None,
        ),
        ("offering list offset 90000", f"{base}{offerings}?limit=100&offset=90000", None),
        (
            "offering filtered offset 90000",
            f"{base}{offerings}?limit=100&offset=90000&lifecycleStatus=Launched",
            None,
        ),
        ("ceiling get", f"{ceiling}/item/x", ceiling_get),
        ("customer get by id", f"{base}{customers}", get_script),
    ]
    for name, url, script in plan:
        if "offering" in name and not _has(base, offerings):
            continue
        high = wrk(url, connections=50, seconds=seconds, script=script)
        low = wrk(url, connections=10, seconds=seconds, script=script)
        runs[name] = Run(rps=high.rps, p99_ms=low.p99_ms)
        console.print(f"{name:34s} {high.rps:9.0f} req/s @50   p99 {low.p99_ms:7.2f} ms @10")
    runs["ceiling post"] = wrk(
        f"{ceiling}/item", connections=50, seconds=seconds, script=lua_post("/item", party_ids)
    )
    runs["customer create"] = wrk(
        f"{base}{customers}", connections=50, seconds=seconds, script=lua_post(customers, party_ids)
    )
    return runs


def _has(base: str, path: str) -> bool:
    return (
        httpx.get(f"{base}{path}?limit=1", headers={"Authorization": f"Bearer {KEY}"}).status_code
        == 200
    )


def report(runs: dict[str, Run]) -> None:
    table = Table(title="TMF API vs bare FastAPI ceiling (same run)")
    for column in ("scenario", "req/s @50", "ratio", "p99 ms @10", "p99 ratio", "target"):
        table.add_column(column)
    for name, run in runs.items():
        if name.startswith("ceiling"):
            continue
        ref = (
            runs["ceiling post"]
            if "create" in name
            else runs["ceiling get"]
            if "get" in name
            else runs["ceiling list"]
        )
        target = "≥30%" if "create" in name else "≥40%, p99 ≤2x"
        table.add_row(
            name,
            f"{run.rps:.0f}",
            f"{run.rps / ref.rps:.0%}",
            f"{run.p99_ms:.2f}",
            f"{run.p99_ms / ref.p99_ms:.1f}x",
            target,
        )
    console.print(table)
    for kind in ("customer", "offering"):
        pairs = [("list", "filtered list"), ("list offset 90000", "filtered offset 90000")]
        for plain, filtered in pairs:
            a, b = runs.get(f"{kind} {plain}"), runs.get(f"{kind} {filtered}")
            if a and b:
                console.print(
                    f"{kind}: {filtered} is {a.rps / b.rps:.2f}x slower than {plain} (target ≤ 2x)"
                )
    out = WORK / "results.json"
    out.write_text(json.dumps({k: vars(v) for k, v in runs.items()}, indent=2))
    console.print(f"raw figures: {out}")


if __name__ == "__main__":
    main()
