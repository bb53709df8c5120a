"""The catalog pages over HTTP: browse by lifecycle status, create a draft offering with its
prices, edit it, move it and its prices through the catalog's lifecycle; who may do what."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

import ordering_world
from console_helpers import csrf, post_form, sign_in, staff_user
from ossbss import bootstrap

OFFERINGS = f"{ordering_world.CATALOG}/productOffering"
PRICES = f"{ordering_world.CATALOG}/productOfferingPrice"


def api(client: TestClient, path: str) -> Any:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return answer.json()


def as_role(platform: bootstrap.Platform, client: TestClient, role: str) -> TestClient:
    return sign_in(client, staff_user(platform, role, f"catalog-{role}"))


def create_draft(client: TestClient, **values: str) -> str:
    """POST the new-offering form; returns the new offering's id."""
    form = {"name": "Fibre 1000", "description": "Gigabit", "recurring": "49.99", **values}
    answer = post_form(client, "/catalog/offerings/new", form, page="/catalog/offerings/new")
    assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
    location = answer.headers["location"]  # type: ignore[attr-defined]
    assert location.startswith("/catalog/offerings/")
    return str(location.rsplit("/", 1)[1])


def test_a_catalog_admin_creates_a_draft_offering_with_its_prices(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    world = ordering_world.build(client)
    spec_id = api(client, f"{OFFERINGS}/{world.offering_id}")["productSpecification"]["id"]
    as_role(platform, client, "admin")
    offering_id = create_draft(client, specification=spec_id, one_time="49", currency="eur")
    offering = api(client, f"{OFFERINGS}/{offering_id}")
    assert offering["lifecycleStatus"] == "In study"
    assert offering["productSpecification"]["id"] == spec_id
    prices = [api(client, f"{PRICES}/{ref['id']}") for ref in offering["productOfferingPrice"]]
    assert [(p["priceType"], p["price"]) for p in prices] == [
        ("recurring", {"unit": "EUR", "value": 49.99}),
        ("oneTime", {"unit": "EUR", "value": 49}),
    ]
    assert prices[0]["recurringChargePeriodType"] == "month"
    page = client.get(f"/catalog/offerings/{offering_id}")
    assert page.status_code == 200
    assert "Fibre 1000" in page.text
    assert "€49.99" in page.text
    assert "Move to Launched" in page.text


def test_a_mistyped_price_re_renders_the_form_with_what_was_typed(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    as_role(platform, client, "admin")
    form = {"name": "Typo plan", "recurring": "12.345"}
    answer = post_form(client, "/catalog/offerings/new", form, page="/catalog/offerings/new")
    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert "more decimals than EUR allows" in answer.text  # type: ignore[attr-defined]
    assert 'value="Typo plan"' in answer.text  # type: ignore[attr-defined]
    assert api(client, OFFERINGS) == []
    assert api(client, PRICES) == []  # the price created before the error was rolled back


def test_the_catalog_lists_by_lifecycle_status(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    ordering_world.build(client)
    as_role(platform, client, "admin")
    create_draft(client, name="Draft plan")
    as_role(platform, client, "readonly")
    launched = client.get("/catalog?status=Launched").text
    assert "Fibre 300" in launched
    assert "Draft plan" not in launched
    drafts = client.get("/catalog?status=draft").text
    assert "Draft plan" in drafts
    assert "Fibre 300" not in drafts
    prices = client.get("/catalog?kind=prices&status=Launched").text
    assert "Fibre monthly" in prices
    assert "Draft plan monthly" not in prices
    assert client.get("/catalog?status=Bogus").status_code == 400
    assert "New offering" not in launched  # a reader gets no edit buttons


def test_an_offering_is_edited_and_moved_through_its_lifecycle(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    as_role(platform, client, "admin")
    offering_id = create_draft(client)
    page = f"/catalog/offerings/{offering_id}"
    saved = post_form(client, page, {"name": "Fibre 1G", "description": "1 Gbit/s"}, page=page)
    assert saved.status_code == 303  # type: ignore[attr-defined]
    assert "Offering saved" in client.get(page).text  # the one-shot notice
    price_id = api(client, f"{OFFERINGS}/{offering_id}")["productOfferingPrice"][0]["id"]
    price_page = f"{page}/prices/{price_id}"
    repricing = {"name": "Fibre 1G monthly", "amount": "44.50"}
    repriced = post_form(client, price_page, repricing, page=page)
    assert repriced.status_code == 303  # type: ignore[attr-defined]
    for url in (f"{price_page}/lifecycle", f"{page}/lifecycle"):
        moved = post_form(client, url, {"status": "Launched"}, page=page)
        assert moved.status_code == 303, moved.text  # type: ignore[attr-defined]
    offering = api(client, f"{OFFERINGS}/{offering_id}")
    assert (offering["name"], offering["description"], offering["lifecycleStatus"]) == (
        "Fibre 1G",
        "1 Gbit/s",
        "Launched",
    )
    price = api(client, f"{PRICES}/{price_id}")
    assert (price["lifecycleStatus"], price["price"]["value"]) == ("Launched", 44.5)
    detail = client.get(page).text
    assert "Move to Retired" in detail
    assert "Move to In study" not in detail
    # A launched price's terms are frozen: the catalog says why, the form keeps its place.
    frozen = post_form(client, price_page, {"amount": "39"}, page=page)
    assert frozen.status_code == 409  # type: ignore[attr-defined]
    assert "Price terms are frozen" in frozen.text  # type: ignore[attr-defined]
    assert api(client, f"{PRICES}/{price_id}")["price"]["value"] == 44.5
    retired = post_form(client, f"{page}/lifecycle", {"status": "Retired"}, page=page)
    assert retired.status_code == 303  # type: ignore[attr-defined]
    assert api(client, f"{OFFERINGS}/{offering_id}")["lifecycleStatus"] == "Retired"


def test_a_move_the_catalog_forbids_is_refused_with_the_reason(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    world = ordering_world.build(client)
    as_role(platform, client, "admin")
    page = f"/catalog/offerings/{world.offering_id}"
    refused = post_form(client, f"{page}/lifecycle", {"status": "In study"}, page=page)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "cannot go from Launched to In study" in refused.text  # type: ignore[attr-defined]
    assert api(client, f"{OFFERINGS}/{world.offering_id}")["lifecycleStatus"] == "Launched"


def test_a_readonly_user_cannot_post_a_catalog_action(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    world = ordering_world.build(client)
    page = f"/catalog/offerings/{world.offering_id}"
    before = api(client, f"{OFFERINGS}/{world.offering_id}")
    for role in ("readonly", "csr"):
        as_role(platform, client, role)
        assert client.get(page).status_code == 200  # every staff role reads
        for url, form in (
            (page, {"name": "Hijacked"}),
            (f"{page}/lifecycle", {"status": "Retired"}),
            ("/catalog/offerings/new", {"name": "Sneaky", "recurring": "1"}),
        ):
            answer = post_form(client, url, form, page=page)
            assert answer.status_code == 403, (role, url)  # type: ignore[attr-defined]
        assert client.get("/catalog/offerings/new").status_code == 403
    assert api(client, f"{OFFERINGS}/{world.offering_id}") == before
    assert [o["name"] for o in api(client, OFFERINGS)] == ["Fibre 300"]


def test_a_catalog_edit_without_its_csrf_token_is_refused(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    world = ordering_world.build(client)
    as_role(platform, client, "admin")
    csrf(client, "/catalog")
    page = f"/catalog/offerings/{world.offering_id}"
    answer = client.post(page, data={"name": "Forged"}, follow_redirects=False)
    assert answer.status_code == 403
    assert api(client, f"{OFFERINGS}/{world.offering_id}")["name"] == "Fibre 300"
