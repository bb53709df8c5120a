"""Benchmark: Nchf online charging (create/update/release) against a bare FastAPI endpoint,
and the zero-over-grant check with 100 parallel sessions on one balance.

    .venv/bin/python bench/online_charging.py [--accounts 200] [--seconds 8] [--connections 4]
        [--database-url URL]

Builds a world (prepaid accounts with credit and a 1 GB data allowance, plus one account with
1.00 EUR shared by 100 subscribers) in a fresh database (SQLite under var/bench/charging/
unless --database-url names another), serves it with uvicorn (one worker, like `ossbss
serve`), serves canned JSON from bench/ceiling.py, drives both with wrk (each connection runs
sessions: 1 create, 18 updates that report the used units and ask for more, 1 release), and
prints requests/s and p99 of both with their ratios (the machine is shared and noisy: compare
ratios). Then 100 threads run sessions on the 1.00 EUR account over HTTP until refused and
the check prints whether the grants stayed within the balance and the debits match the use.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench" / "charging"
KEY = "ossbss_bench-admin-key"
MB = 1024 * 1024
NCHF = "/nchf-convergedcharging/v3/chargingdata"
BALANCE = "/tmf-api/prepayBalanceManagement/v4"
SHARED_SUBSCRIBERS = 100
SHARED_CREDIT_EUR = 1.0  # 0.01 EUR per MB: 100 MB in all
console = Console()


@dataclass
class Run:
    rps: float
    p99_ms: float
    errors: int


# --- the world ----------------------------------------------------------------------------


def build_world(database_url: str, accounts: int) -> dict[str, Any]:
    """Accounts, offerings and subscribers through the public APIs; returns the directory."""
    from fastapi.testclient import TestClient

    from ossbss import bootstrap
    from ossbss.app import create_app
    from ossbss.kernel import Settings

    platform = bootstrap.build(Settings(database_url=database_url, admin_api_key=KEY))
    metadata = bootstrap.metadata()
    metadata.drop_all(platform.database.engine)
    metadata.create_all(platform.database.engine)
    bootstrap.admin_key(platform)
    directory: dict[str, Any] = {}
    with TestClient(create_app(platform=platform, run_dispatcher=False)) as client:
        client.headers["Authorization"] = f"Bearer {KEY}"
        customer = _customer(client)
        with_allowance = _offering(client, included_mb=1024)
        without = _offering(client, included_mb=None)
        for n in range(accounts):
            account = _account(client, customer, credit=1000.0)
            msisdn = f"4479{n:08d}"
            directory[msisdn] = _subscriber(msisdn, f"bench-product-{n}", account, with_allowance)
        shared = _account(client, customer, credit=SHARED_CREDIT_EUR)
        for n in range(SHARED_SUBSCRIBERS):
            msisdn = f"4478{n:08d}"
            directory[msisdn] = _subscriber(msisdn, f"shared-product-{n}", shared, without)
    platform.close()
    return {"directory": directory, "shared_account": shared}


def _post(client: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _customer(client: Any) -> str:
    person = _post(client, "/tmf-api/party/v4/individual", {"givenName": "B", "familyName": "M"})
    customer = _post(
        client,
        "/tmf-api/customerManagement/v4/customer",
        {"name": "Bench", "engagedParty": {"id": person["id"], "@referredType": "Individual"}},
    )
    return str(customer["id"])


def _offering(client: Any, *, included_mb: int | None) -> str:
    launched = {
        "lifecycleStatus": "Launched",
        "validFor": {"startDateTime": "2025-01-01T00:00:00Z"},
    }
    price: dict[str, Any] = {
        "name": "data",
        **launched,
        "priceType": "usage",
        "unitOfMeasure": {"amount": 1, "units": "MB"},
        "price": {"unit": "EUR", "value": 0.01},
    }
    if included_mb:
        price["includedQuantity"] = {"amount": included_mb, "units": "MB"}
    price_id = _post(client, "/tmf-api/productCatalogManagement/v4/productOfferingPrice", price)[
        "id"
    ]
    offering = _post(
        client,
        "/tmf-api/productCatalogManagement/v4/productOffering",
        {"name": "Mobile", **launched, "productOfferingPrice": [{"id": price_id}]},
    )
    return str(offering["id"])


def _account(client: Any, customer: str, *, credit: float) -> str:
    account = _post(
        client,
        "/tmf-api/accountManagement/v4/billingAccount",
        {
            "name": "bench",
            "currency": "EUR",
            "accountType": "prepaid",
            "relatedParty": [
                {"id": customer, "role": "owner", "@referredType": "Customer", "name": "B"}
            ],
        },
    )
    _post(
        client,
        f"{BALANCE}/topupBalance",
        {"partyAccount": {"id": account["id"]}, "amount": {"amount": credit, "units": "EUR"}},
    )
    return str(account["id"])


def _subscriber(msisdn: str, product: str, account: str, offering: str) -> dict[str, str]:
    return {
        "identifier": msisdn,
        "product_id": product,
        "billing_account_id": account,
        "offering_id": offering,
    }


# --- the server under test (run in its own process: `--serve`) -----------------------------


def serve(database_url: str, port: int, world_file: Path) -> None:
    import gc

    import uvicorn

    from ossbss import bootstrap, charging
    from ossbss.app import create_app
    from ossbss.kernel import Settings

    world = json.loads(world_file.read_text())
    platform = bootstrap.build(Settings(database_url=database_url, admin_api_key=KEY))
    subscribers = {k: charging.Subscriber(**v) for k, v in world["directory"].items()}
    charging.configure(directory=charging.DictDirectory(subscribers))
    app = create_app(platform=platform, run_dispatcher=True)
    gc.freeze()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def start(command: list[str], port: int, health: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, start_new_session=True)
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


# --- load: wrk with a session-running Lua script -------------------------------------------

TEMPLATE = (
    '{"nfConsumerIdentification":{"nFName":"smf-bench","nodeFunctionality":"SMF"},'
    '"invocationTimeStamp":"2026-01-15T09:30:00Z","invocationSequenceNumber":%d,'
    '"subscriberIdentifier":"msisdn-%s","chargingId":%d,'
    '"multipleUnitUsage":[{"ratingGroup":10%s}]}'
)
REQUEST = ',"requestedUnit":{"totalVolume":1048576}'
USED = ',"usedUnitContainer":[{"localSequenceNumber":%d,"totalVolume":1048576}]'


def session_script(subscribers: list[str]) -> Path:
    """One connection per wrk thread; each runs sessions one request at a time."""
    quoted = ",".join(f'"{s}"' for s in subscribers)
    script = WORK / "sessions.lua"
    script.write_text(
        f"local subs = {{{quoted}}}\n"
        f"local template = '{TEMPLATE}'\n"
        f"local request_units = '{REQUEST}'\n"
        f"local used_units = '{USED}'\n"
        "local ref, seq, sub, cid, step = nil, 0, nil, 0, nil\n"
        "local threads = 0\n"
        'setup = function(thread) threads = threads + 1; thread:set("id", threads) end\n'
        "init = function(args) math.randomseed(os.time() * 1000 + id) end\n"
        "local function post(path, body)\n"
        "  local headers = {}\n"
        "  for name, value in pairs(wrk.headers) do headers[name] = value end\n"
        '  headers["Content-Type"] = "application/json"\n'
        '  return wrk.format("POST", path, headers, body)\n'
        "end\n"
        "request = function()\n"
        "  if ref == nil then\n"
        "    sub = subs[math.random(#subs)]; cid = math.random(1, 2000000000); seq = 0\n"
        '    step = "create"\n'
        f'    return post("{NCHF}", string.format(template, 0, sub, cid, request_units))\n'
        "  end\n"
        "  seq = seq + 1\n"
        "  local used = string.format(used_units, seq)\n"
        f'  local path = "{NCHF}/" .. ref\n'
        "  if seq >= 19 then\n"
        '    step = "release"\n'
        '    return post(path .. "/release", string.format(template, seq, sub, cid, used))\n'
        "  end\n"
        '  step = "update"\n'
        "  local units = request_units .. used\n"
        '  return post(path .. "/update", string.format(template, seq, sub, cid, units))\n'
        "end\n"
        "response = function(status, headers, body)\n"
        '  if step == "create" and status == 201 then\n'
        '    ref = string.match(headers["location"] or headers["Location"], "chargingdata/(.*)$")\n'
        '  elseif step == "release" or status >= 300 then\n'
        "    ref = nil\n"
        "  end\n"
        "end\n"
    )
    return script


def ceiling_script(subscribers: list[str]) -> Path:
    body = TEMPLATE % (1, subscribers[0], 1, REQUEST + USED % 1)
    script = WORK / "ceiling.lua"
    script.write_text(
        f"local body = '{body}'\n"
        "request = function()\n"
        "  local headers = {}\n"
        "  for name, value in pairs(wrk.headers) do headers[name] = value end\n"
        '  headers["Content-Type"] = "application/json"\n'
        '  return wrk.format("POST", "/item", headers, body)\n'
        "end\n"
    )
    return script


def wrk(url: str, script: Path, *, connections: int, seconds: int) -> Run:
    command = ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--latency", "-H", f"Authorization: Bearer {KEY}", "-s", str(script), url]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"wrk failed:\n{done.stdout}{done.stderr}")
    output = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return Run(rps, float(p99.group(1)) * scale, int(errors.group(1)) if errors else 0)  # type: ignore[union-attr]


# --- zero over-grant: 100 sessions on one 1.00 EUR balance ---------------------------------


def one_session(base: str, msisdn: str, number: int) -> tuple[int, int, int]:
    headers = {"Authorization": f"Bearer {KEY}"}
    granted = used = 0
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:

        def body(seq: int, *, request: bool, spent: int | None) -> dict[str, Any]:
            item: dict[str, Any] = {"ratingGroup": 10}
            if request:
                item["requestedUnit"] = {"totalVolume": 3 * MB}
            if spent is not None:
                item["usedUnitContainer"] = [{"localSequenceNumber": seq, "totalVolume": spent}]
            return {
                "nfConsumerIdentification": {"nFName": "smf-check"},
                "invocationTimeStamp": "2026-01-15T09:30:00Z",
                "invocationSequenceNumber": seq,
                "subscriberIdentifier": f"msisdn-{msisdn}",
                "chargingId": number,
                "multipleUnitUsage": [item],
            }

        response = client.post(NCHF, json=body(0, request=True, spent=None))
        if response.status_code == 403:
            return 0, 0, 0
        response.raise_for_status()
        ref = response.headers["Location"].rsplit("/", 1)[1]
        last = _granted(response.json())
        granted += last
        seq = 1
        while last:
            spent = last - (number % 10 == 0)  # some sessions use a byte less than granted
            used += spent
            response = client.post(
                f"{NCHF}/{ref}/update", json=body(seq, request=True, spent=spent)
            )
            response.raise_for_status()
            last = _granted(response.json())
            granted += last
            seq += 1
        client.post(
            f"{NCHF}/{ref}/release", json=body(seq, request=False, spent=None)
        ).raise_for_status()
    return granted, used, seq


def _granted(body: dict[str, Any]) -> int:
    info = body.get("multipleUnitInformation", [{}])[0]
    return int(info.get("grantedUnit", {}).get("totalVolume", 0))


def over_grant_check(base: str, world: dict[str, Any]) -> tuple[bool, str]:
    shared = [
        m
        for m, s in world["directory"].items()
        if s["billing_account_id"] == world["shared_account"]
    ]
    with ThreadPoolExecutor(max_workers=SHARED_SUBSCRIBERS) as pool:
        results = list(pool.map(lambda n: one_session(base, shared[n], n), range(len(shared))))
    granted = sum(g for g, _, _ in results)
    used = sum(u for _, u, _ in results)
    answers = sum(n for _, _, n in results)
    buckets = httpx.get(
        f"{base}{BALANCE}/bucket",
        params={"partyAccount.id": world["shared_account"]},
        headers={"Authorization": f"Bearer {KEY}"},
    ).json()
    money = buckets[0]
    remaining_cents = round(money["remainingValue"]["amount"] * 100)
    balance_units = int(SHARED_CREDIT_EUR * 100) * MB
    # The rater rounds amounts half-even to 10^-6 EUR: a grant may carry up to 52 bytes more
    # than the exact rate (never more money than there is).
    ok = (
        granted <= balance_units + 53 * answers
        and money["reservedValue"]["amount"] == 0
        and remaining_cents >= 0
    )
    detail = (
        f"{len(shared)} sessions: granted {granted / MB:.3f} MB of {balance_units / MB:.0f} MB "
        f"affordable; used {used / MB:.3f} MB; {remaining_cents} cents left, "
        f"{money['reservedValue']['amount']} EUR still held"
    )
    return ok, detail


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    database_url = args.database_url or f"sqlite:///{WORK / 'charging.db'}"
    world_file = WORK / "world.json"
    if args.serve:
        serve(database_url, args.serve, world_file)
        return
    if database_url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database_url[10:]}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    world = build_world(database_url, args.accounts)
    world_file.write_text(json.dumps(world))
    console.print(f"world built in {time.perf_counter() - started:.1f} s")
    own = [
        m
        for m, s in world["directory"].items()
        if s["billing_account_id"] != world["shared_account"]
    ]
    samples = WORK / "samples.json"
    samples.write_text(
        json.dumps(
            {
                "list": [],
                "item": {
                    "invocationSequenceNumber": 1,
                    "multipleUnitInformation": [
                        {
                            "ratingGroup": 10,
                            "resultCode": "SUCCESS",
                            "grantedUnit": {"totalVolume": MB},
                            "validityTime": 3600,
                        }
                    ],
                },
            }
        )
    )
    env_args = ["--database-url", database_url]
    ours = start([sys.executable, __file__, "--serve", "8311", *env_args], 8311, "/health")
    ceiling = start(
        [sys.executable, str(ROOT / "bench" / "ceiling.py"), str(samples), "8312"], 8312, "/list"
    )
    try:
        bare = wrk(
            "http://127.0.0.1:8312",
            ceiling_script(own),
            connections=args.connections,
            seconds=args.seconds,
        )
        charged = wrk(
            "http://127.0.0.1:8311",
            session_script(own),
            connections=args.connections,
            seconds=args.seconds,
        )
        ok, detail = over_grant_check("http://127.0.0.1:8311", world)
    finally:
        stop(ours)
        stop(ceiling)
    engine = database_url.split(":", 1)[0].split("+", 1)[0]
    table = Table(
        title=f"Nchf online charging ({engine}, {args.connections} connections, {args.seconds} s)"
    )
    for column in ("endpoint", "requests/s", "p99 ms", "non-2xx"):
        table.add_column(column)
    table.add_row(
        "bare FastAPI POST (ceiling)", f"{bare.rps:,.0f}", f"{bare.p99_ms:.2f}", str(bare.errors)
    )
    table.add_row(
        "Nchf create/update/release",
        f"{charged.rps:,.0f}",
        f"{charged.p99_ms:.2f}",
        str(charged.errors),
    )
    console.print(table)
    console.print(
        f"requests/s: {charged.rps:,.0f} (target >= 2,000; "
        f"{charged.rps / bare.rps:.2f} of the ceiling); p99: "
        f"{charged.p99_ms / bare.p99_ms:.2f} x the bare endpoint's (target <= 2)"
    )
    console.print(f"zero over-grant: {'PASS' if ok else 'FAIL'} - {detail}")
    if not ok or charged.errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
