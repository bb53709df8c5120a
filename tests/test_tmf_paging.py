"""Paging stays exact while totals and page anchors are reused (tmf/pagecache.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from ossbss.bootstrap import Platform
from ossbss.tmf import PAGES

INDIVIDUAL = "/tmf-api/party/v4/individual"


def make_people(client: TestClient, count: int) -> list[str]:
    return [
        client.post(INDIVIDUAL, json={"givenName": "G", "familyName": f"F{n:03d}"}).json()["id"]
        for n in range(count)
    ]


def page(client: TestClient, **params: object) -> list[str]:
    return [item["id"] for item in client.get(INDIVIDUAL, params=params).json()]


def test_walking_pages_in_any_order_gives_the_same_rows_as_a_fresh_read(client: TestClient) -> None:
    ids = make_people(client, 30)
    walked = [i for offset in range(0, 30, 7) for i in page(client, offset=offset, limit=7)]
    assert walked == ids
    for offset in (22, 3, 15, 29, 8, 8):
        cached = page(client, offset=offset, limit=5)
        PAGES.clear()
        assert cached == page(client, offset=offset, limit=5) == ids[offset : offset + 5]


def test_filtered_pages_use_their_own_anchors(client: TestClient) -> None:
    ids = make_people(client, 12)
    for n, person in enumerate(ids):
        if n % 3 == 0:
            client.patch(f"{INDIVIDUAL}/{person}", json={"status": "validated"})
    validated = ids[::3]
    assert page(client, status="validated", offset=1, limit=2) == validated[1:3]
    assert page(client, status="validated", offset=2, limit=2) == validated[2:4]
    assert page(client, offset=2, limit=2) == ids[2:4]


def test_a_write_in_this_process_is_seen_at_once(client: TestClient) -> None:
    ids = make_people(client, 10)
    assert page(client, offset=5, limit=3) == ids[5:8]
    client.delete(f"{INDIVIDUAL}/{ids[2]}")
    remaining = ids[:2] + ids[3:]
    response = client.get(INDIVIDUAL, params={"offset": 5, "limit": 3})
    assert [i["id"] for i in response.json()] == remaining[5:8]
    assert response.headers["X-Total-Count"] == "9"


def test_a_write_by_another_process_is_seen_after_the_max_age(
    client: TestClient, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_people(client, 4)
    assert client.get(INDIVIDUAL).headers["X-Total-Count"] == "4"
    # Another process deletes a row: this process was not told.
    with platform.database.engine.begin() as connection:
        connection.execute(text("DELETE FROM party_individual WHERE family_name = 'F000'"))
    assert client.get(INDIVIDUAL).headers["X-Total-Count"] == "4"
    clock = [0.0]
    monkeypatch.setattr("ossbss.tmf.pagecache.time.monotonic", lambda: clock[0])
    PAGES.clear()
    client.get(INDIVIDUAL)
    clock[0] += PAGES.max_age + 0.1
    assert client.get(INDIVIDUAL).headers["X-Total-Count"] == "3"
