"""Usage ingestion, suspense and recycling, rating write-back and billing, through the room's
door and TMF635."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ossbss import bootstrap, usage
from ossbss.kernel import FixedClock, OutboxMessage, Period
from ossbss.usage import UsageInput
from ossbss.usage.models import QuarantinedRecord, UsageRecord

USAGE = "/tmf-api/usageManagement/v4/usage"
SPECS = "/tmf-api/usageManagement/v4/usageSpecification"
T0 = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)


def call(key: str, subscriber: str = "31612345678", **changes: object) -> UsageInput:
    values: dict[str, object] = {
        "record_key": key,
        "kind": "voice",
        "subscriber": subscriber,
        "started_at": T0,
        "duration_seconds": 65,
        "destination": "31201234567",
        "source": "cdr",
        "source_ref": f"test.csv:{key}",
    }
    values.update(changes)
    return UsageInput(**values)  # type: ignore[arg-type]


def register(platform: bootstrap.Platform, identifier: str, product: str = "p1") -> int:
    with platform.database.unit_of_work() as session:
        return usage.register_subscriber(
            session,
            identifier=identifier,
            product_id=product,
            billing_account_id="acc-1",
            offering_id="off-1",
            customer_id="cust-1",
            valid_from=T0 - timedelta(days=1),
            now=platform.clock.now(),
        )


def ingest(platform: bootstrap.Platform, records: list[UsageInput]) -> usage.IngestReport:
    with platform.database.unit_of_work() as session:
        return usage.ingest(session, records=records, now=platform.clock.now())


def record(client: TestClient, key: str) -> dict:
    found = client.get(USAGE, params={"status": "guided,received,rated,rejected,billed"}).json()
    for item in found:
        chars = {c["name"]: c["value"] for c in item["usageCharacteristic"]}
        if chars["recordKey"] == key:
            return client.get(f"{USAGE}/{item['id']}").json()
    raise AssertionError(f"no usage with key {key}")


def test_counts_every_record_once_and_quarantines_the_insane(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    register(platform, "31612345678")
    report = ingest(
        platform,
        [
            call("a"),
            call("b", subscriber="31699999999"),
            call("a"),  # duplicate inside the batch
            call("c", duration_seconds=-5),
            call("d", kind="fax"),
            call("e", started_at=platform.clock.now() + timedelta(hours=1)),
            call("f", duration_seconds=90 * 86400),
        ],
    )
    assert (report.accepted, report.suspended, report.duplicates, report.rejected) == (1, 1, 1, 4)
    again = ingest(platform, [call("a"), call("b", subscriber="31699999999")])
    assert (again.accepted, again.suspended, again.duplicates) == (0, 0, 2)
    with platform.database.unit_of_work(write=False) as session:
        reasons = sorted(session.scalars(select(QuarantinedRecord.reason)))
        stored = session.scalar(select(func.count()).select_from(UsageRecord))
    assert stored == 2
    assert reasons == [
        "absurd duration_seconds (7776000 > 31 days)",
        "negative duration_seconds",
        "start time in the future",
        "unknown kind 'fax'",
    ]
    guided = record(client, "a")
    assert guided["status"] == "guided"
    assert guided["relatedParty"] == [
        {"id": "cust-1", "role": "customer", "@referredType": "Customer"}
    ]
    assert guided["usageType"] == "voice"
    suspended = record(client, "b")
    assert suspended["status"] == "received"
    assert "unknown subscriber" in suspended["description"]


def test_a_new_subscriber_recycles_its_suspended_records(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    ingest(platform, [call(f"s{n}", subscriber="alice@isp") for n in range(3)])
    ingest(platform, [call("other", subscriber="bob@isp")])
    assert register(platform, "alice@isp", product="p-alice") == 3
    assert register(platform, "alice@isp", product="p-alice") == 0  # idempotent
    recycled = record(client, "s1")
    assert recycled["status"] == "guided"
    assert "recycled from suspense" in recycled["description"]
    assert recycled["relatedParty"][0]["id"] == "cust-1"
    assert record(client, "other")["status"] == "received"
    with platform.database.unit_of_work(write=False) as session:
        found = usage.find_subscriber(session, identifier="alice@isp", at=T0)
        frame = usage.records_to_rate(session, period=Period(T0, T0 + timedelta(days=1)))
    assert found is not None
    assert found.product_id == "p-alice"
    assert sorted(frame["product_id"].to_list()) == ["p-alice"] * 3
    topics = _topics(platform)
    assert "usage.subscriber-recycled" in topics


def test_an_ended_identity_sends_later_usage_to_suspense(platform: bootstrap.Platform) -> None:
    register(platform, "carol")
    with platform.database.unit_of_work() as session:
        usage.end_subscriber(session, identifier="carol", valid_to=T0 + timedelta(hours=1))
    report = ingest(
        platform,
        [
            call("before", subscriber="carol"),
            call("after", subscriber="carol", started_at=T0 + timedelta(hours=2)),
        ],
    )
    assert (report.accepted, report.suspended) == (1, 1)


def test_rating_is_written_to_columns_and_document_and_billing_freezes_it(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    register(platform, "31612345678")
    ingest(platform, [call("r1"), call("r2"), call("r3", started_at=T0 + timedelta(days=40))])
    period = Period(T0 - timedelta(days=1), T0 + timedelta(days=30))
    with platform.database.unit_of_work(write=False) as session:
        frame = usage.records_to_rate(session, period=period)
    assert frame.height == 2
    assert frame.schema["started_at"] == pl.Datetime("us", "UTC")
    assert frame["duration_seconds"].to_list() == [65, 65]
    ids = frame["id"].to_list()
    rated = pl.DataFrame(
        {
            "id": ids,
            "status": ["rated", "rejected"],
            "amount": [12345, None],
            "scale": [4, None],
            "currency": ["EUR", None],
            "price_id": ["price-1", None],
            "rated_quantity": [120, None],
            "reason": [None, "no price for zone"],
        },
        schema_overrides={"amount": pl.Int64, "scale": pl.Int64, "rated_quantity": pl.Int64},
    )
    with platform.database.unit_of_work() as session:
        usage.record_rating(session, rated=rated, now=platform.clock.now())
    first = client.get(f"{USAGE}/{ids[0]}").json()
    assert first["status"] == "rated"
    [rating] = first["ratedProductUsage"]
    assert rating["taxExcludedRatingAmount"] == {"unit": "EUR", "value": 1.2345}
    assert rating["productRef"]["id"] == "p1"
    assert rating["isBilled"] is False
    second = client.get(f"{USAGE}/{ids[1]}").json()
    assert second["status"] == "rejected"
    assert "no price for zone" in second["description"]
    with platform.database.unit_of_work(write=False) as session:
        assert usage.records_to_rate(session, period=period).height == 0
        assert usage.records_to_rate(session, period=period, rerate=True).height == 1
    with platform.database.unit_of_work() as session:
        usage.mark_billed(session, ids=[ids[0]], now=platform.clock.now())
    billed = client.get(f"{USAGE}/{ids[0]}").json()
    assert billed["status"] == "billed"
    assert billed["ratedProductUsage"][0]["isBilled"] is True
    with platform.database.unit_of_work(write=False) as session:
        assert usage.records_to_rate(session, period=period, rerate=True).height == 0
    refused = client.delete(f"{USAGE}/{ids[0]}")
    assert refused.status_code == 409, refused.text
    assert client.delete(f"{USAGE}/{ids[1]}").status_code == 204


def test_post_ingests_one_record_with_the_same_rules(client: TestClient, clock: FixedClock) -> None:
    body = {
        "usageType": "data",
        "usageDate": "2026-01-15T08:00:00Z",
        "usageCharacteristic": [
            {"name": "recordKey", "value": "api-1"},
            {"name": "subscriber", "value": "dave@isp"},
            {"name": "bytesUp", "value": 1000},
            {"name": "bytesDown", "value": 50000},
        ],
    }
    created = client.post(USAGE, json=body)
    assert created.status_code == 201, created.text
    document = created.json()
    assert document["status"] == "received"  # nobody knows dave yet
    assert created.headers["Location"] == document["href"]
    assert client.get(document["href"].replace("http://testserver", "")).json() == document
    again = client.post(USAGE, json=body)
    assert again.status_code == 409
    assert document["id"] in again.json()["message"]
    negative = {
        **body,
        "usageCharacteristic": [
            *body["usageCharacteristic"][1:],
            {"name": "recordKey", "value": "api-2"},
            {"name": "durationSeconds", "value": -1},
        ],
    }
    bad = client.post(USAGE, json=negative)
    assert bad.status_code == 400
    assert bad.json()["message"].startswith("usageCharacteristic.durationSeconds")
    future = client.post(USAGE, json={**body, "usageDate": "2027-01-01T00:00:00Z"})
    assert future.status_code == 400
    assert future.json()["message"].startswith("usageDate")
    wrong_type = client.post(USAGE, json={**body, "usageDate": 5})
    assert wrong_type.status_code == 400
    assert "usageDate" in wrong_type.json()["message"]
    # A client may write a suspended record off, not rate it.
    patched = client.patch(document["href"], json={"status": "rated"})
    assert patched.status_code == 409
    written_off = client.patch(document["href"], json={"status": "rejected"})
    assert written_off.status_code == 200
    assert written_off.json()["status"] == "rejected"
    assert client.patch(document["href"], json={"usageType": "voice"}).status_code == 400
    for odd in ("2026-01-10T23:59:60Z", "0001-01-01T00:00:00+01:00"):
        dated = client.post(USAGE, json={**body, "usageDate": odd})
        assert dated.status_code == 400, dated.text
        assert dated.json()["message"].startswith("usageDate")
    nul = client.post(USAGE, json={**body, "description": "a\u0000b"})
    assert nul.status_code == 400
    text = client.post(USAGE, content=b"{}", headers={"Content-Type": "text/plain"})
    assert text.status_code == 415
    huge = [{"name": "subscriber", "value": "x"}, {"name": "bytesUp", "value": 2**70}]
    too_big = client.post(USAGE, json={**body, "usageCharacteristic": huge})
    assert too_big.status_code == 400
    assert too_big.json()["message"].startswith("usageCharacteristic.bytesUp")
    listed = client.get(USAGE, params={"status": "rejected"})
    assert [item["id"] for item in listed.json()] == [document["id"]]


def test_usage_specifications_are_seeded_and_editable(client: TestClient) -> None:
    client.post(
        USAGE,
        json={
            "usageType": "sms",
            "usageDate": "2026-01-15T08:00:00Z",
            "usageCharacteristic": [{"name": "subscriber", "value": "316"}],
        },
    )
    names = sorted(spec["name"] for spec in client.get(SPECS).json())
    assert names == ["data", "sms", "voice"]
    created = client.post(SPECS, json={"name": "mms", "description": "multimedia message"})
    assert created.status_code == 201
    spec_id = created.json()["id"]
    patched = client.patch(f"{SPECS}/{spec_id}", json={"description": "MMS"})
    assert patched.json()["description"] == "MMS"
    assert client.delete(f"{SPECS}/{spec_id}").status_code == 204


def test_hub_subscribers_get_usage_create_events(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    hub = client.post(
        "/tmf-api/usageManagement/v4/hub", json={"callback": "http://127.0.0.1:9/listener"}
    )
    assert hub.status_code == 201
    ingest(platform, [call("h0", subscriber="later")])
    register(platform, "31612345678")
    ingest(platform, [call("h1"), call("h2")])
    register(platform, "later", product="p2")
    assert _changes(platform) == ["Create", "Create", "Create", "StateChange"]
    with platform.database.unit_of_work(write=False) as session:
        ids = usage.records_to_rate(session, period=Period(T0, T0 + timedelta(days=1)))["id"]
    rated = pl.DataFrame(
        {
            "id": ids[:1],
            "status": ["rated"],
            "amount": [100],
            "scale": [4],
            "currency": ["EUR"],
            "price_id": [None],
            "rated_quantity": [60],
            "reason": [None],
        },
        schema_overrides={"price_id": pl.String, "reason": pl.String},
    )
    with platform.database.unit_of_work() as session:
        usage.record_rating(session, rated=rated, now=platform.clock.now())
        usage.mark_billed(session, ids=ids[:1].to_list(), now=platform.clock.now())
    assert _changes(platform)[4:] == ["StateChange", "StateChange"]
    with platform.database.unit_of_work(write=False) as session:
        payloads = session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.pk))
        last = [p for p in payloads if p.get("change")][-1]
    assert last["document"]["status"] == "billed"
    assert last["document"]["ratedProductUsage"][0]["offerTariffType"] == "usage"


def _changes(platform: bootstrap.Platform) -> list[str]:
    with platform.database.unit_of_work(write=False) as session:
        payloads = session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.pk))
        return [p["change"] for p in payloads if "change" in p]


def _topics(platform: bootstrap.Platform) -> list[str]:
    with platform.database.unit_of_work(write=False) as session:
        return list(session.scalars(select(OutboxMessage.topic)))


def test_documents_of_every_kind_are_valid_tmf635(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    register(platform, "31612345678")
    ingest(
        platform,
        [
            call("v", destination='31"20'),
            call("d", kind="data", bytes_up=5, bytes_down=7, duration_seconds=0, destination=None),
            call("s", kind="sms", events=1, duration_seconds=0, source_ref=None),
            call("x", subscriber="nobody"),
        ],
    )
    spec = usage.USAGE_API.spec
    for item in client.get(USAGE).json():
        spec.validate("Usage", item)
        assert item["usageSpecification"]["id"] == item["usageType"]
    data = record(client, "d")
    values = {c["name"]: c["value"] for c in data["usageCharacteristic"]}
    assert values == {
        "recordKey": "d",
        "subscriber": "31612345678",
        "bytesUp": 5,
        "bytesDown": 7,
        "source": "cdr",
        "sourceRef": "test.csv:d",
    }
    assert data["usageDate"] == "2026-01-10T08:00:00.000Z"
    assert {c["name"]: c["value"] for c in record(client, "v")["usageCharacteristic"]}[
        "destination"
    ] == '31"20'


def test_amounts_become_exact_decimal_text() -> None:
    from ossbss.usage.rating import decimal_text

    frame = pl.DataFrame(
        {"amount": [12345, -5, 7, 10**15 + 1, None], "scale": [4, 2, 0, 4, 4]},
        schema={"amount": pl.Int64, "scale": pl.Int64},
    )
    values = frame.select(decimal_text(pl.col("amount"), pl.col("scale")).alias("v"))["v"]
    assert values.to_list() == ["1.2345", "-0.05", "7", "100000000000.0001", None]


EDGE_CASES = [
    call("ok"),
    call("naive-ish", started_at=T0.replace(microsecond=123456)),
    call("", subscriber="x"),
    call("k" * 256),
    call("fax", kind="fax"),
    call("quote", kind="it's"),
    call("nosub", subscriber=""),
    call("longsub", subscriber="s" * 129),
    call("future", started_at=T0 + timedelta(days=400)),
    call("neg-up", kind="data", bytes_up=-1),
    call("neg-ev", kind="sms", events=-2),
    call("long-call", duration_seconds=31 * 86400 + 1),
    call("huge", kind="data", bytes_down=10**13 + 1),
    call("many", kind="sms", events=10**6 + 1),
    call("dest", destination="9" * 65),
    call("data", kind="data", bytes_up=1, bytes_down=2, duration_seconds=0, destination=None),
    call("sms", kind="sms", events=1, duration_seconds=0, destination="", source_ref=""),
    call("esc", subscriber='a"b\\c\u00e9', destination="+31 20", source_ref=None),
]


def test_the_small_and_the_bulk_paths_apply_the_same_rules_and_documents() -> None:
    from dataclasses import astuple

    import orjson

    from ossbss.usage import domain, frames

    now = datetime(2026, 1, 15, tzinfo=UTC)
    frame = pl.DataFrame(
        [astuple(record) for record in EDGE_CASES], schema=frames.INPUT_SCHEMA, orient="row"
    )
    checked = frames.with_problems(frame, now)
    bulk = list(zip(checked["problem_field"].to_list(), checked["problem"].to_list(), strict=True))
    small = [domain.problem_at(record, now) or (None, None) for record in EDGE_CASES]
    assert bulk == small
    assert sum(field is None for field, _ in small) == 5
    for status, customer in (("guided", "cust-1"), ("received", None)):
        resolved = frame.with_columns(
            status=pl.lit(status), customer_id=pl.lit(customer, dtype=pl.String)
        )
        documents = [orjson.loads(text) for text in frames.documents(resolved)]
        assert documents == [domain.document(r, status, customer) for r in EDGE_CASES]


def test_a_large_batch_counts_like_a_small_one(platform: bootstrap.Platform) -> None:
    register(platform, "31612345678")
    records = [call(f"big-{n % 90}") for n in range(100)]  # 10 duplicates
    records += [call("bad", duration_seconds=-1), call("stranger", subscriber="nobody")]
    report = ingest(platform, records)
    assert (report.accepted, report.duplicates, report.suspended, report.rejected) == (
        90,
        10,
        1,
        1,
    )
