"""Allocation from pools: next free value, idempotency, release, exhaustion, and no double
booking under concurrency (run on SQLite and, with scripts/with-postgres.sh, PostgreSQL)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss import inventory
from ossbss.bootstrap import Platform
from ossbss.inventory.models import Allocation as AllocationRow
from ossbss.kernel import Conflict, DomainError, InvalidInput, NotFound
from test_inventory_api import chars


@contextmanager
def raises(kind: type[DomainError], text: str) -> Iterator[None]:
    """Like pytest.raises, matching the error's whole message (field, detail)."""
    with pytest.raises(kind) as info:
        yield
    assert text in info.value.message, info.value.message


def make_pool(platform: Platform, type_: str, name: str = "pool", **values: Any) -> str:
    from ossbss import tmf

    body = {"@type": type_, "name": name, "resourceCharacteristic": chars(**values)}
    with platform.database.unit_of_work() as session:
        made = tmf.create_resource(
            session, resource=inventory.RESOURCE, payload=body, now=platform.clock.now()
        )
    return str(made["id"])


def run(platform: Platform, work: Any) -> Any:
    with platform.database.unit_of_work() as session:
        return work(session, platform.clock.now())


def alloc(platform: Platform, pool_id: str, consumer: str, **kw: Any) -> inventory.Allocation:
    return run(
        platform,
        lambda s, now: inventory.allocate(s, pool_id=pool_id, consumer_id=consumer, now=now, **kw),
    )


def test_ipv4_hands_out_hosts_in_order_and_says_when_exhausted(platform: Platform) -> None:
    pool_id = make_pool(platform, "IPv4Pool", "tiny", cidr="192.0.2.0/29")
    values = [alloc(platform, pool_id, f"svc-{n}").value for n in range(6)]
    # network (.0) and broadcast (.7) are not hosts
    assert values == [f"192.0.2.{n}" for n in range(1, 7)]
    with raises(inventory.PoolExhausted, "pool tiny exhausted"):
        alloc(platform, pool_id, "svc-late")
    assert isinstance(inventory.PoolExhausted("x"), Conflict)
    usage = run(platform, lambda s, _now: inventory.pool_usage(s, pool_id=pool_id))
    assert usage == inventory.PoolUsage(total=6, allocated=6, reserved=0, free=0)


def test_allocate_is_idempotent_per_pool_and_consumer(platform: Platform) -> None:
    pool_id = make_pool(platform, "IPv4Pool", cidr="10.0.0.0/24")
    first = alloc(platform, pool_id, "svc-1")
    again = alloc(platform, pool_id, "svc-1")
    assert again == first
    assert alloc(platform, pool_id, "svc-1", value=first.value) == first
    with raises(Conflict, "already holds 10.0.0.1"):
        alloc(platform, pool_id, "svc-1", value="10.0.0.9")
    assert alloc(platform, pool_id, "svc-2").value == "10.0.0.2"
    for bad in ("", "x" * 129):
        with raises(InvalidInput, "consumer_id"):
            alloc(platform, pool_id, bad)
    with raises(InvalidInput, "state"):
        alloc(platform, pool_id, "svc-3", state="held")


def test_release_gives_values_back_smallest_first_and_is_idempotent(platform: Platform) -> None:
    v4 = make_pool(platform, "IPv4Pool", "v4", cidr="10.0.0.0/24")
    vlans = make_pool(platform, "VlanRange", "vlans", first=100, last=199)
    for n in range(1, 5):
        alloc(platform, v4, f"svc-{n}")
        alloc(platform, vlans, f"svc-{n}")
    held = run(platform, lambda s, _now: inventory.allocations_for(s, consumer_id="svc-2"))
    assert [(a.kind, a.value) for a in held] == [("ipv4", "10.0.0.2"), ("vlan", "101")]
    for consumer in ("svc-3", "svc-2"):
        released = run(
            platform, lambda s, now, c=consumer: inventory.release(s, consumer_id=c, now=now)
        )
        assert released == 2
    assert run(platform, lambda s, now: inventory.release(s, consumer_id="svc-2", now=now)) == 0
    assert alloc(platform, v4, "new-1").value == "10.0.0.2"
    assert alloc(platform, v4, "new-2").value == "10.0.0.3"
    assert alloc(platform, v4, "new-3").value == "10.0.0.5"
    assert alloc(platform, vlans, "new-1").value == "101"


def test_a_requested_value_must_be_inside_and_free(platform: Platform) -> None:
    pool_id = make_pool(platform, "IPv4Pool", cidr="10.0.0.0/24")
    assert alloc(platform, pool_id, "gw", value="10.0.0.200").value == "10.0.0.200"
    assert alloc(platform, pool_id, "a", value="10.0.0.1").value == "10.0.0.1"
    with raises(Conflict, "held by gw"):
        alloc(platform, pool_id, "b", value="10.0.0.200")
    with raises(InvalidInput, "not in it"):
        alloc(platform, pool_id, "b", value="10.0.1.1")
    with raises(InvalidInput, "not in it"):
        alloc(platform, pool_id, "b", value="10.0.0.255")  # broadcast
    with pytest.raises(InvalidInput):
        alloc(platform, pool_id, "b", value="not an address")
    # the cursor steps over values taken by name
    values = {alloc(platform, pool_id, f"svc-{n}").value for n in range(252)}
    assert "10.0.0.200" not in values
    assert len(values) == 252
    assert "10.0.0.254" in values
    # a value taken by name, released, then asked for by name again
    run(platform, lambda s, now: inventory.release(s, consumer_id="gw", now=now))
    assert alloc(platform, pool_id, "gw2", value="10.0.0.200").value == "10.0.0.200"
    with pytest.raises(inventory.PoolExhausted):
        alloc(platform, pool_id, "late")


def test_a_value_asked_for_above_the_cursor_then_released_is_not_handed_out_twice(
    platform: Platform,
) -> None:
    pool_id = make_pool(platform, "VlanRange", first=10, last=14)
    alloc(platform, pool_id, "x", value="12")
    run(platform, lambda s, now: inventory.release(s, consumer_id="x", now=now))
    values = [alloc(platform, pool_id, f"c{n}").value for n in range(5)]
    assert sorted(values) == ["10", "11", "12", "13", "14"]


def test_ipv6_hosts_and_delegated_prefixes(platform: Platform) -> None:
    hosts = make_pool(platform, "IPv6Pool", "wan", cidr="2001:db8:1::/64")
    prefixes = make_pool(platform, "IPv6Pool", "pd", cidr="2001:db8::/48", prefixLength=56)
    assert alloc(platform, hosts, "cpe-1").value == "2001:db8:1::1"
    first = alloc(platform, prefixes, "cpe-1")
    assert (first.kind, first.value) == ("ipv6-prefix", "2001:db8::/56")
    assert alloc(platform, prefixes, "cpe-2").value == "2001:db8:0:100::/56"
    assert alloc(platform, prefixes, "cpe-9", value="2001:db8:0:ff00::/56").value == (
        "2001:db8:0:ff00::/56"
    )
    with raises(InvalidInput, "/56"):
        alloc(platform, prefixes, "cpe-3", value="2001:db8:0:200::/64")
    with raises(InvalidInput, "host bits set"):
        alloc(platform, prefixes, "cpe-3", value="2001:db8:0:280::/56")  # not aligned
    with raises(InvalidInput, "not in it"):
        alloc(platform, prefixes, "cpe-3", value="2001:db8:1::/56")
    usage = run(platform, lambda s, _now: inventory.pool_usage(s, pool_id=prefixes))
    assert (usage.total, usage.allocated, usage.free) == (256, 3, 253)
    assert run(platform, lambda s, _now: inventory.pool_usage(s, pool_id=hosts)).total == 2**64 - 1
    assert run(platform, lambda s, _now: inventory.find_pool(s, kind="ipv6-prefix")) == prefixes
    assert run(platform, lambda s, _now: inventory.find_pool(s, kind="ipv6")) == hosts


def test_msisdn_and_iccid_ranges(platform: Platform) -> None:
    numbers = make_pool(platform, "MsisdnRange", "mvno", first="+491701234000", last="491701234999")
    sims = make_pool(
        platform, "IccidRange", "sims", first="8949000000000000000", last="8949000000000000992"
    )
    assert alloc(platform, numbers, "sub-1").value == "491701234000"
    assert alloc(platform, numbers, "sub-2", value="+491701234567").value == "491701234567"
    iccids = [alloc(platform, sims, f"sim-{n}").value for n in range(3)]
    assert iccids == ["8949000000000000000", "8949000000000000018", "8949000000000000026"]
    with raises(InvalidInput, "check digit"):
        alloc(platform, sims, "sim-x", value="8949000000000000031")
    usage = run(platform, lambda s, _now: inventory.pool_usage(s, pool_id=sims))
    assert (usage.total, usage.allocated) == (100, 3)


def test_reserve_then_confirm(platform: Platform) -> None:
    pool_id = make_pool(platform, "IPv4Pool", cidr="10.0.0.0/24")
    reserved = alloc(platform, pool_id, "order-1", state="reserved")
    assert reserved.state == "reserved"
    usage = run(platform, lambda s, _now: inventory.pool_usage(s, pool_id=pool_id))
    assert (usage.reserved, usage.allocated, usage.free) == (1, 0, 253)
    assert run(platform, lambda s, now: inventory.confirm(s, consumer_id="order-1", now=now)) == 1
    assert run(platform, lambda s, now: inventory.confirm(s, consumer_id="order-1", now=now)) == 0
    held = run(platform, lambda s, _now: inventory.allocations_for(s, consumer_id="order-1"))
    assert held == [inventory.Allocation(pool_id, "ipv4", "10.0.0.1", "order-1", "allocated")]
    # a retry that asks for "allocated" turns a reservation into an allocation
    alloc(platform, pool_id, "order-2", state="reserved")
    assert alloc(platform, pool_id, "order-2").state == "allocated"


def test_find_pool(platform: Platform) -> None:
    with raises(InvalidInput, "kind"):
        run(platform, lambda s, _now: inventory.find_pool(s, kind="ipv5"))
    with raises(NotFound, "no usable vlan pool"):
        run(platform, lambda s, _now: inventory.find_pool(s, kind="vlan"))
    a = make_pool(platform, "IPv4Pool", "residential", cidr="10.0.0.0/16")
    b = make_pool(platform, "IPv4Pool", "business", cidr="10.1.0.0/16")
    with raises(InvalidInput, "2 ipv4 pools"):
        run(platform, lambda s, _now: inventory.find_pool(s, kind="ipv4"))
    assert run(platform, lambda s, _now: inventory.find_pool(s, kind="ipv4", name="business")) == b
    # a locked pool is not offered, and does not hand out values
    from ossbss import tmf

    run(
        platform,
        lambda s, now: tmf.patch_resource(
            s,
            resource=inventory.RESOURCE,
            resource_id=b,
            patch={"administrativeState": "locked"},
            now=now,
        ),
    )
    assert run(platform, lambda s, _now: inventory.find_pool(s, kind="ipv4")) == a
    with raises(Conflict, "locked"):
        alloc(platform, b, "x")


def test_scoped_vlan_pools(platform: Platform, client: Any) -> None:
    from test_inventory_api import device

    d1, d2 = device(client, "d1"), device(client, "d2")
    p1 = make_pool(platform, "VlanRange", "cvlan", first=100, last=199, device=d1)
    make_pool(platform, "VlanRange", "cvlan", first=100, last=199, device=d2)
    assert run(platform, lambda s, _now: inventory.find_pool(s, kind="vlan", scope=d1)) == p1


def test_a_pool_in_use_keeps_its_range_and_cannot_be_deleted(
    platform: Platform, client: Any
) -> None:
    url = "/tmf-api/resourceInventoryManagement/v4/resource"
    pool_id = make_pool(platform, "IPv4Pool", cidr="10.0.0.0/24")
    alloc(platform, pool_id, "svc")
    response = client.patch(
        f"{url}/{pool_id}", json={"resourceCharacteristic": chars(cidr="10.0.0.0/23")}
    )
    assert response.status_code == 409
    assert client.delete(f"{url}/{pool_id}").status_code == 409
    assert client.patch(f"{url}/{pool_id}", json={"description": "still fine"}).status_code == 200
    run(platform, lambda s, now: inventory.release(s, consumer_id="svc", now=now))
    response = client.patch(
        f"{url}/{pool_id}", json={"resourceCharacteristic": chars(cidr="10.0.0.0/23")}
    )
    assert response.status_code == 200
    assert alloc(platform, pool_id, "svc").value == "10.0.0.1"
    run(platform, lambda s, now: inventory.release(s, consumer_id="svc", now=now))
    assert client.delete(f"{url}/{pool_id}").status_code == 204
    with pytest.raises(NotFound):
        alloc(platform, pool_id, "svc")


def test_allocation_keeps_time_in_utc(platform: Platform) -> None:
    pool_id = make_pool(platform, "IPv4Pool", cidr="10.0.0.0/24")
    alloc(platform, pool_id, "svc")
    with platform.database.unit_of_work(write=False) as session:
        created = session.execute(select(AllocationRow.created_at)).scalar_one()
    assert created.utcoffset() == timedelta(0)


# --- concurrency -------------------------------------------------------------------------

WORKERS = 8
PER_WORKER = 40


def _parallel(platform: Platform, jobs: list[list[tuple[str, str]]]) -> list[BaseException]:
    """Each worker allocates its (pool, consumer) pairs, one transaction each."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def work(pairs: list[tuple[str, str]]) -> None:
        start.wait()
        for pool_id, consumer in pairs:
            try:
                alloc(platform, pool_id, consumer)
            except BaseException as exc:  # collected and asserted on below
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(pairs,)) for pairs in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _values(session: Session, pool_id: str) -> list[str]:
    return list(
        session.scalars(select(AllocationRow.value).where(AllocationRow.pool_id == pool_id))
    )


def test_parallel_workers_never_double_book(platform: Platform) -> None:
    engine = platform.database.engine.dialect.name
    distinct = make_pool(platform, "IPv4Pool", "distinct", cidr="10.0.0.0/16")
    shared = make_pool(platform, "IPv4Pool", "shared", cidr="10.1.0.0/16")
    small = make_pool(platform, "VlanRange", "small", first=1, last=100)
    rng = random.Random(7)
    jobs = []
    for worker in range(WORKERS):
        pairs = [(distinct, f"w{worker}-{n}") for n in range(PER_WORKER)]
        # every worker asks for the same consumers in the shared pool (crash-retry storms)
        pairs += [(shared, f"c{n}") for n in rng.sample(range(PER_WORKER), PER_WORKER)]
        pairs += [(small, f"w{worker}-{n}") for n in range(20)]
        rng.shuffle(pairs)
        jobs.append(pairs)
    errors = _parallel(platform, jobs)
    exhausted = [e for e in errors if isinstance(e, inventory.PoolExhausted)]
    assert len(exhausted) == WORKERS * 20 - 100, (engine, errors[:3])
    assert len(errors) == len(exhausted), (engine, [e for e in errors if e not in exhausted][:3])
    with platform.database.unit_of_work(write=False) as session:
        for pool_id, expected in (
            (distinct, WORKERS * PER_WORKER),
            (shared, PER_WORKER),
            (small, 100),
        ):
            values = _values(session, pool_id)
            duplicates = [v for v, n in Counter(values).items() if n > 1]
            assert duplicates == [], engine
            assert len(values) == expected, engine
        total = session.execute(select(func.count()).select_from(AllocationRow)).scalar_one()
    assert total == WORKERS * PER_WORKER + PER_WORKER + 100
    # the distinct pool is filled from the bottom, without holes
    with platform.database.unit_of_work(write=False) as session:
        values = _values(session, distinct)
    assert max(int(v.rsplit(".", 2)[-2]) * 256 + int(v.rsplit(".", 1)[-1]) for v in values) == len(
        values
    )


def test_parallel_release_and_reallocate(platform: Platform) -> None:
    pool_id = make_pool(platform, "VlanRange", "churn", first=1, last=64)
    errors: list[BaseException] = []

    def churn(worker: int) -> None:
        for n in range(30):
            consumer = f"w{worker}-{n % 6}"
            try:
                alloc(platform, pool_id, consumer)
                if n % 2:
                    run(
                        platform,
                        lambda s, now, c=consumer: inventory.release(s, consumer_id=c, now=now),
                    )
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=churn, args=(w,)) for w in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with platform.database.unit_of_work(write=False) as session:
        values = _values(session, pool_id)
        usage = inventory.pool_usage(session, pool_id=pool_id)
    assert len(values) == len(set(values))
    assert usage.allocated == len(values)
    # every value is either held or free: the free list and the cursor agree
    more = [alloc(platform, pool_id, f"fill-{n}").value for n in range(64 - len(values))]
    assert sorted(map(int, values + more)) == list(range(1, 65))


def test_the_hot_path_reads_by_index_never_by_scan(platform: Platform) -> None:
    """Every statement of allocate() finds its rows through an index (SQLite's plan)."""
    from ossbss.inventory import repository

    if not platform.database.is_sqlite:
        pytest.skip("the plan checked is SQLite's (PostgreSQL picks scans on tiny tables)")
    pool_id = make_pool(platform, "IPv4Pool", cidr="10.0.0.0/24")
    alloc(platform, pool_id, "warm-up")
    params = {
        "pool_id": pool_id,
        "consumer_id": "c",
        "slot": 1,
        "b_pool_id": pool_id,
        "b_next_slot": 1,
        "b_max_explicit": -1,
        "b_free_count": 0,
    }
    statements = [
        repository._CURSOR,
        repository._HELD,
        repository._SMALLEST_FREE,
        repository._TAKE_FREE,
        repository._SLOT_TAKEN,
        repository._MOVE,
    ]
    with platform.database.engine.connect() as connection:
        for statement in statements:
            compiled = statement.compile(dialect=connection.dialect)
            values = compiled.construct_params(params)
            ordered = tuple(values[name] for name in compiled.positiontup or ())
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", ordered).all()
            details = [str(row[-1]) for row in plan]
            assert not [d for d in details if d.startswith("SCAN")], (str(compiled), details)
