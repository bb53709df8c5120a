"""Orders from POST to ``completed``: a real server process, clients POSTing product orders
for a fibre product whose decomposition is one RADIUS subscriber (username, password, an
IPv4 address from a pool, rate limits), with the RADIUS driver writing the rows a real
FreeRADIUS serves. The reference, in the same run: the same server and orders with the fake
driver in place of RADIUS (``OSSBSS_FAKE_DRIVERS=radius``). Printed: orders/s for each and
the ratio; at the end one subscriber is authenticated through FreeRADIUS with radclient.

    .venv/bin/python bench/orders.py                      # temp SQLite file
    scripts/with-postgres.sh sh -c \\
      '.venv/bin/python bench/orders.py --database-url "$OSSBSS_TEST_DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from ossbss import bootstrap
from ossbss.lab.peers import free_port
from ossbss.lab.radius import start_freeradius

KEY = "ossbss_bench-admin-key-0123456789abcdef"
LAUNCHED = {"lifecycleStatus": "Launched", "validFor": {"startDateTime": "2025-01-01T00:00:00Z"}}
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"


def _fresh(database_url: str) -> None:
    engine = create_engine(database_url)
    metadata = bootstrap.metadata()
    metadata.drop_all(engine)
    metadata.create_all(engine)
    engine.dispose()


def _serve(
    database_url: str, workdir: Path, fake_radius: bool, split: bool
) -> tuple[list[subprocess.Popen[bytes]], str]:
    """The server; with ``split`` the API process leaves events and activations to a
    separate ``ossbss worker`` process."""
    port = free_port()
    env = {
        **os.environ,
        "OSSBSS_DATABASE_URL": database_url,
        "OSSBSS_ADMIN_API_KEY": KEY,
        "OSSBSS_ADMIN_KEY_FILE": str(workdir / "admin.key"),
        "OSSBSS_FAKE_DRIVERS": "radius" if fake_radius else "",
        "OSSBSS_LOG_LEVEL": "WARNING",
        # A worker in another process is not woken by the API's commits: it polls.
        "OSSBSS_DISPATCHER_POLL_SECONDS": "0.05" if split else "1.0",
    }
    commands = [["serve", "--port", str(port)] + (["--no-workers"] if split else [])]
    if split:
        commands.append(["worker"])
    processes = []
    with (workdir / "server.log").open("ab") as log:
        for command in commands:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "ossbss.cli", *command],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return processes, url
        except httpx.HTTPError:
            time.sleep(0.1)
    for process in processes:
        process.kill()
    raise SystemExit((workdir / "server.log").read_text()[-3000:])


def _create(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def _world(client: httpx.Client, customers: int) -> tuple[str, list[tuple[str, str]]]:
    catalog = "/tmf-api/productCatalogManagement/v4"
    spec = _create(
        client,
        f"{catalog}/productSpecification",
        {
            "name": "Fibre (bench)",
            **LAUNCHED,
            "serviceSpecification": [
                {
                    "id": "cfs-internet",
                    "name": "Internet access",
                    "resourceFacingService": [
                        {
                            "name": "radius-subscriber",
                            "driver": "radius",
                            "parameter": [
                                {"name": "username", "generate": "username"},
                                {"name": "password", "generate": "password"},
                                {"name": "ipv4Address", "allocate": "ipv4"},
                                {"name": "rateDownKbps", "value": "300000"},
                                {"name": "rateUpKbps", "value": "150000"},
                            ],
                        }
                    ],
                }
            ],
        },
    )
    price = _create(
        client,
        f"{catalog}/productOfferingPrice",
        {
            "name": "monthly",
            **LAUNCHED,
            "priceType": "recurring",
            "recurringChargePeriodType": "month",
            "price": {"unit": "EUR", "value": 30},
        },
    )
    offering = _create(
        client,
        f"{catalog}/productOffering",
        {
            "name": "Fibre 300 (bench)",
            **LAUNCHED,
            "productSpecification": {"id": spec["id"]},
            "productOfferingPrice": [{"id": price["id"]}],
        },
    )
    _create(
        client,
        "/tmf-api/resourceInventoryManagement/v4/resource",
        {
            "@type": "IPv4Pool",
            "name": "bench",
            "resourceCharacteristic": [{"name": "cidr", "value": "100.64.0.0/16"}],
        },
    )
    buyers = []
    for number in range(customers):
        person = _create(
            client, "/tmf-api/party/v4/individual", {"givenName": "B", "familyName": f"{number}"}
        )
        customer = _create(
            client,
            "/tmf-api/customerManagement/v4/customer",
            {
                "name": f"Bench {number}",
                "status": "Active",
                "engagedParty": {"id": person["id"], "@referredType": "Individual"},
            },
        )
        account = _create(
            client,
            "/tmf-api/accountManagement/v4/billingAccount",
            {
                "name": f"Bench {number}",
                "currency": "EUR",
                "relatedParty": [
                    {
                        "id": customer["id"],
                        "role": "owner",
                        "@referredType": "Customer",
                        "name": "B",
                    }
                ],
            },
        )
        buyers.append((customer["id"], account["id"]))
    return offering["id"], buyers


def _order(offering_id: str, buyer: tuple[str, str]) -> dict[str, Any]:
    return {
        "relatedParty": [{"id": buyer[0], "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": buyer[1]},
        "productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": offering_id}}],
    }


def _finished(client: httpx.Client) -> tuple[int, int]:
    totals = []
    for state in ("completed", "failed"):
        response = client.get(ORDERS, params={"state": state, "limit": 1, "fields": "state"})
        totals.append(int(response.headers["X-Total-Count"]))
    return totals[0], totals[1]


def run(
    database_url: str,
    workdir: Path,
    *,
    orders: int,
    clients: int,
    fake_radius: bool,
    split: bool,
) -> float:
    _fresh(database_url)
    processes, url = _serve(database_url, workdir, fake_radius, split)
    try:
        headers = {"Authorization": f"Bearer {KEY}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            offering_id, buyers = _world(client, customers=20)
            bodies = [_order(offering_id, buyers[n % len(buyers)]) for n in range(orders)]
            started = time.perf_counter()

            def post(body: dict[str, Any]) -> None:
                with httpx.Client(base_url=url, headers=headers, timeout=60) as poster:
                    poster.post(ORDERS, json=body).raise_for_status()

            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(post, bodies))
            while True:
                completed, failed = _finished(client)
                if completed + failed >= orders:
                    break
                time.sleep(0.1)
            elapsed = time.perf_counter() - started
        if failed:
            raise SystemExit(f"{failed} orders failed")
        return orders / elapsed
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def check_freeradius(database_url: str, workdir: Path) -> str:
    """One provisioned subscriber authenticated through FreeRADIUS (the rows are real)."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        username, password = connection.execute(
            text(
                "SELECT username, value FROM provisioning_radcheck "
                "WHERE attribute = 'Cleartext-Password' LIMIT 1"
            )
        ).one()
    engine.dispose()
    auth, acct = free_port(), free_port()
    peer = start_freeradius(
        database_url=database_url,
        workdir=workdir / "freeradius",
        auth_port=auth,
        acct_port=acct,
        secret="bench",
    )
    try:
        answer = subprocess.run(
            ["radclient", "-x", f"127.0.0.1:{auth}", "auth", "bench"],
            input=f'User-Name = "{username}", User-Password = "{password}"'.encode(),
            capture_output=True,
            timeout=20,
        )
        return answer.stdout.decode().splitlines()[-4:][0] if answer.stdout else "no answer"
    finally:
        peer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--split", action="store_true", help="serve --no-workers plus an `ossbss worker`"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        database_url = args.database_url or f"sqlite:///{workdir / 'orders.db'}"
        rates = {
            fake: run(
                database_url,
                workdir,
                orders=args.orders,
                clients=args.clients,
                fake_radius=fake,
                split=args.split,
            )
            for fake in (True, False)
        }
        accepted = check_freeradius(database_url, workdir)
    engine = database_url.split(":", 1)[0]
    layout = "serve --no-workers + worker" if args.split else "one process (make run)"
    print(f"engine: {engine}; {args.orders} orders, {args.clients} clients; {layout}")
    print(f"fake driver (ceiling): {rates[True]:8.1f} orders/s")
    ratio = rates[False] / rates[True]
    print(f"RADIUS driver:         {rates[False]:8.1f} orders/s   ratio {ratio:.2f}")
    print(f"FreeRADIUS on a provisioned subscriber: {accepted}")


if __name__ == "__main__":
    main()
