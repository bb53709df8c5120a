"""TMF639 resources and TMF638 services over HTTP: the inventory room's rules."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ossbss.bootstrap import Platform
from test_hub import Listener

RES = "/tmf-api/resourceInventoryManagement/v4/resource"
SVC = "/tmf-api/serviceInventory/v4/service"


def chars(**values: Any) -> list[dict[str, Any]]:
    return [{"name": name, "value": value} for name, value in values.items()]


def post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def refused(client: TestClient, body: dict[str, Any], status: int = 400) -> str:
    response = client.post(RES, json=body)
    assert response.status_code == status, response.text
    return str(response.json()["message"])


def site(client: TestClient, name: str = "POP Berlin") -> str:
    return str(post(client, RES, {"@type": "Site", "name": name})["id"])


def device(client: TestClient, name: str = "bng1", site_id: str | None = None, **extra: Any) -> str:
    body: dict[str, Any] = {
        "@type": "Device",
        "name": name,
        "resourceCharacteristic": chars(
            vendor="Juniper", model="MX204", managementAddress="192.0.2.10:830", **extra
        ),
    }
    if site_id:
        body["place"] = {"id": site_id, "role": "installedAt", "@referredType": "Site"}
    return str(post(client, RES, body)["id"])


def port(client: TestClient, device_id: str, name: str, role: str | None = None) -> str:
    characteristics = chars(name=name, **({"role": role} if role else {}))
    body = {
        "@type": "Port",
        "name": name,
        "resourceCharacteristic": characteristics,
        "resourceRelationship": [
            {"relationshipType": "isContainedIn", "resource": {"id": device_id}}
        ],
    }
    return str(post(client, RES, body)["id"])


def link_body(a: str, b: str, name: str = "link") -> dict[str, Any]:
    return {
        "@type": "Link",
        "name": name,
        "resourceRelationship": [
            {"relationshipType": "connectsTo", "resource": {"id": a}},
            {"relationshipType": "connectsTo", "resource": {"id": b}},
        ],
    }


def pool(type_: str, name: str = "pool", **values: Any) -> dict[str, Any]:
    return {"@type": type_, "name": name, "resourceCharacteristic": chars(**values)}


# --- resources ---------------------------------------------------------------------------


def test_a_site_device_ports_and_a_link(client: TestClient) -> None:
    site_id = site(client)
    bng = device(client, "bng1", site_id, netconfPort=830)
    olt = device(client, "olt1", site_id)
    up = port(client, bng, "ge-0/0/1", "uplink")
    down = port(client, olt, "xe-0/0/0", "access")
    link = post(client, RES, link_body(up, down))
    assert link["@type"] == "Link"
    listed = client.get(RES, params={"@type": "Port"})
    assert listed.headers["X-Total-Count"] == "2"
    assert {item["id"] for item in listed.json()} == {up, down}


def test_create_needs_no_id_or_href_though_the_v4_spec_lists_them(client: TestClient) -> None:
    # TMF639 v4 Resource_Create has required [href, id, name]: we do not ask for the first two.
    assert client.post(RES, json={"name": "anything"}).status_code == 201
    assert "name" in refused(client, {"@type": "Site"})


@pytest.mark.parametrize(
    ("characteristics", "field"),
    [
        (chars(model="MX204", managementAddress="192.0.2.1"), "vendor"),
        (chars(vendor="J", managementAddress="192.0.2.1"), "model"),
        (chars(vendor="J", model="M"), "managementAddress"),
        (chars(vendor="J", model="M", managementAddress="300.1.1.1"), "managementAddress"),
        (chars(vendor="J", model="M", managementAddress="host:99999"), "managementAddress"),
        (chars(vendor="J", model="M", managementAddress="[2001:db8::1]x"), "managementAddress"),
        (chars(vendor="J", model="M", managementAddress="a", netconfPort=0), "netconfPort"),
        (chars(vendor="J", model="M", managementAddress="a", netconfPort="x"), "netconfPort"),
    ],
)
def test_a_device_needs_its_characteristics(
    client: TestClient, characteristics: list[dict[str, Any]], field: str
) -> None:
    message = refused(
        client, {"@type": "Device", "name": "d", "resourceCharacteristic": characteristics}
    )
    assert f"resourceCharacteristic.{field}" in message
    assert client.get(RES).headers["X-Total-Count"] == "0"


@pytest.mark.parametrize(
    "address",
    ["router1.example.net", "router1:22", "192.0.2.1", "[2001:db8::1]:830", "2001:db8::1"],
)
def test_management_addresses_that_are_fine(client: TestClient, address: str) -> None:
    characteristics = chars(vendor="v", model="m", managementAddress=address)
    post(client, RES, {"@type": "Device", "name": "d", "resourceCharacteristic": characteristics})


def test_references_must_exist_and_be_of_the_right_kind(client: TestClient) -> None:
    site_id = site(client)
    bad_place = {"id": "nope", "role": "installedAt", "@referredType": "Site"}
    body = {
        "@type": "Device",
        "name": "d",
        "resourceCharacteristic": chars(vendor="v", model="m", managementAddress="h"),
    }
    assert "place.id" in refused(client, body | {"place": bad_place})
    # a place of another kind (a geographic address elsewhere) is not ours to check
    post(
        client,
        RES,
        body | {"place": {"id": "addr-1", "role": "x", "@referredType": "GeographicAddress"}},
    )
    message = refused(client, {**port_body("nope", "ge-0"), "name": "p"})
    assert "resourceRelationship[0].resource.id" in message
    assert "no resource with id nope" in message
    message = refused(client, port_body(site_id, "ge-0"))
    assert "is a Site, not a Device" in message


def port_body(device_id: str, name: str) -> dict[str, Any]:
    return {
        "@type": "Port",
        "name": name,
        "resourceCharacteristic": chars(name=name),
        "resourceRelationship": [
            {"relationshipType": "isContainedIn", "resource": {"id": device_id}}
        ],
    }


def test_port_rules(client: TestClient) -> None:
    d1, d2 = device(client, "d1"), device(client, "d2")
    port(client, d1, "ge-0/0/1")
    port(client, d2, "ge-0/0/1")  # the same name on another device is fine
    message = refused(client, port_body(d1, "ge-0/0/1"))
    assert "resourceCharacteristic.name" in message
    assert "already has port ge-0/0/1" in message
    without_device = port_body(d1, "ge-0/0/2") | {"resourceRelationship": []}
    assert "resourceRelationship" in refused(client, without_device)
    bad_role = port_body(d1, "ge-0/0/3") | {
        "resourceCharacteristic": chars(name="ge-0/0/3", role="core")
    }
    assert "resourceCharacteristic.role" in refused(client, bad_role)


def test_link_rules(client: TestClient) -> None:
    d1, d2, d3 = device(client, "d1"), device(client, "d2"), device(client, "d3")
    p1, p2, p3 = port(client, d1, "p"), port(client, d2, "p"), port(client, d3, "p")
    one_end = link_body(p1, p2)
    one_end["resourceRelationship"].pop()
    assert "resourceRelationship" in refused(client, one_end)
    assert "one port" in refused(client, link_body(p1, p1))
    assert "not a Port" in refused(client, link_body(p1, d2))
    link = post(client, RES, link_body(p1, p2))
    message = refused(client, link_body(p3, p2))
    assert "resourceRelationship[1].resource.id" in message
    assert link["id"] in message
    # the link itself may be patched without tripping over its own ends
    assert (
        client.patch(f"{RES}/{link['id']}", json={"description": "dark fibre"}).status_code == 200
    )


def test_a_referenced_resource_cannot_be_deleted(client: TestClient) -> None:
    site_id = site(client)
    device_id = device(client, "d", site_id)
    port_id = port(client, device_id, "p")
    for target in (site_id, device_id):
        response = client.delete(f"{RES}/{target}")
        assert response.status_code == 409
        assert "refers to it" in response.json()["message"]
    assert client.delete(f"{RES}/{port_id}").status_code == 204
    assert client.delete(f"{RES}/{device_id}").status_code == 204
    assert client.delete(f"{RES}/{site_id}").status_code == 204


def test_the_kind_of_a_resource_is_fixed(client: TestClient) -> None:
    site_id = site(client)
    response = client.patch(f"{RES}/{site_id}", json={"@type": "Link"})
    assert response.status_code == 400
    assert "@type" in response.json()["message"]


def test_resource_states_are_the_spec_enums_and_a_status_change_is_a_state_change(
    client: TestClient, platform: Platform
) -> None:
    site_id = site(client)
    response = client.patch(f"{RES}/{site_id}", json={"operationalState": "broken"})
    assert response.status_code == 400
    assert "operationalState" in response.json()["message"]
    ok = client.patch(
        f"{RES}/{site_id}",
        json={
            "resourceStatus": "available",
            "administrativeState": "unlocked",
            "usageState": "idle",
        },
    )
    assert ok.status_code == 200
    assert client.get(RES, params={"resourceStatus": "available"}).headers["X-Total-Count"] == "1"


# --- pools -------------------------------------------------------------------------------


def test_overlapping_ipv4_pools_are_refused_naming_the_other_pool(client: TestClient) -> None:
    first = post(client, RES, pool("IPv4Pool", "customers", cidr="10.0.0.0/16"))
    message = refused(client, pool("IPv4Pool", "more", cidr="10.0.128.0/24"))
    assert "resourceCharacteristic.cidr" in message
    assert first["id"] in message
    post(client, RES, pool("IPv4Pool", "next", cidr="10.1.0.0/16"))
    # a patch that would make a pool overlap is refused too
    second = post(client, RES, pool("IPv4Pool", "other", cidr="192.168.0.0/24"))
    response = client.patch(
        f"{RES}/{second['id']}", json={"resourceCharacteristic": chars(cidr="10.0.0.0/8")}
    )
    assert response.status_code == 400
    assert first["id"] in response.json()["message"]


def test_ipv6_host_and_prefix_pools_share_the_address_space(client: TestClient) -> None:
    post(client, RES, pool("IPv6Pool", "pd", cidr="2001:db8::/48", prefixLength=56))
    message = refused(client, pool("IPv6Pool", "hosts", cidr="2001:db8:0:1::/64"))
    assert "overlaps pool" in message
    post(client, RES, pool("IPv6Pool", "hosts", cidr="2001:db8:1::/64"))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (pool("IPv4Pool", cidr="10.0.0.1/24"), "cidr"),  # host bits set
        (pool("IPv4Pool", cidr="2001:db8::/64"), "cidr"),
        (pool("IPv4Pool"), "cidr"),
        (pool("IPv6Pool", cidr="2001:db8::/48", prefixLength=40), "prefixLength"),
        (pool("VlanRange", first=0, last=10), "first"),
        (pool("VlanRange", first=100, last=4095), "last"),
        (pool("VlanRange", first=200, last=100), "last"),
        (pool("VlanRange", first=1, last=10, device="nope"), "device"),
        (pool("MsisdnRange", first="4915", last="4916"), "first"),
        (pool("MsisdnRange", first="491701234000", last="49170123499"), "last"),
        (pool("IccidRange", first="8949000000000000001", last="8949000000000000992"), "first"),
        (pool("IccidRange", first="1234567890123456782", last="1234567890123456790"), "first"),
    ],
)
def test_bad_pools_are_400_naming_the_characteristic(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    assert f"resourceCharacteristic.{field}" in refused(client, body)


def test_vlan_ranges_overlap_only_within_one_scope(client: TestClient) -> None:
    d1, d2 = device(client, "d1"), device(client, "d2")
    post(client, RES, pool("VlanRange", "a", first=100, last=199, device=d1))
    post(client, RES, pool("VlanRange", "b", first=100, last=199, device=d2))
    post(client, RES, pool("VlanRange", "global", first=100, last=199))
    assert "overlaps pool" in refused(
        client, pool("VlanRange", "c", first=150, last=300, device=d1)
    )
    assert "overlaps pool" in refused(client, pool("VlanRange", "g2", first=199, last=199))
    # a device that scopes a VLAN range cannot go away under it
    assert client.delete(f"{RES}/{d1}").status_code == 409


def test_number_ranges_overlap(client: TestClient) -> None:
    post(client, RES, pool("MsisdnRange", "m", first="+491701234000", last="491701234999"))
    assert "overlaps" in refused(
        client, pool("MsisdnRange", "m2", first="491701234999", last="491701235999")
    )
    post(
        client,
        RES,
        pool("IccidRange", "sims", first="8949000000000000000", last="8949000000000000992"),
    )
    message = refused(
        client, pool("IccidRange", "sims2", first="8949000000000000992", last="8949000000000009993")
    )
    assert "resourceCharacteristic.first" in message


# --- services ----------------------------------------------------------------------------


def service(client: TestClient, name: str, category: str = "CFS", **extra: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "category": category,
        "state": "designed",
        "serviceSpecification": {"id": "spec-ftth"},
    }
    return post(client, SVC, body | extra)


def test_services_customer_and_resource_facing(client: TestClient) -> None:
    device_id = device(client)
    rfs = service(client, "access", "rfs", supportingResource=[{"id": device_id}])
    assert rfs["category"] == "RFS"
    cfs = service(client, "internet", supportingService=[{"id": rfs["id"]}])
    assert client.get(SVC, params={"supportingService.id": rfs["id"]}).json()[0]["id"] == cfs["id"]
    # an RFS does not rest on a CFS
    response = client.post(
        SVC,
        json={
            "name": "x",
            "category": "RFS",
            "state": "designed",
            "serviceSpecification": {"id": "s"},
            "supportingService": [{"id": cfs["id"]}],
        },
    )
    assert response.status_code == 400
    assert "supportingService[0].id" in response.json()["message"]
    # a supporting service or resource cannot be deleted from under the service
    assert client.delete(f"{SVC}/{rfs['id']}").status_code == 409
    assert client.delete(f"{RES}/{device_id}").status_code == 409


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"supportingResource": [{"id": "nope"}]}, "supportingResource[0].id"),
        ({"supportingService": [{"id": "nope"}]}, "supportingService[0].id"),
        ({"category": "XFS"}, "category"),
        ({"state": "terminated"}, "state"),
        ({"state": "running"}, "state"),
        ({"relatedParty": [{"id": "nope", "@referredType": "Individual"}]}, "relatedParty[0].id"),
    ],
)
def test_bad_services_are_400(client: TestClient, extra: dict[str, Any], field: str) -> None:
    body = {
        "name": "s",
        "category": "CFS",
        "state": "designed",
        "serviceSpecification": {"id": "x"},
    }
    response = client.post(SVC, json=body | extra)
    assert response.status_code == 400
    assert field in response.json()["message"]


def test_service_state_moves_by_its_lifecycle(client: TestClient) -> None:
    made = service(client, "internet")
    url = f"{SVC}/{made['id']}"
    for state in ("reserved", "active", "inactive", "active", "terminated"):
        response = client.patch(url, json={"state": state})
        assert response.status_code == 200, response.text
    response = client.patch(url, json={"state": "active"})
    assert response.status_code == 409
    message = response.json()["message"]
    assert "from terminated to active" in message
    assert client.get(url).json()["state"] == "terminated"


def test_hub_events_for_resources_and_services(client: TestClient, platform: Platform) -> None:
    listener = Listener()
    try:
        for api in ("resourceInventoryManagement", "serviceInventory"):
            hub = client.post(f"/tmf-api/{api}/v4/hub", json={"callback": listener.url})
            assert hub.status_code == 201
        site_id = site(client)
        client.patch(f"{RES}/{site_id}", json={"resourceStatus": "available"})
        made = service(client, "internet")
        client.patch(f"{SVC}/{made['id']}", json={"state": "active", "description": "x"})
        client.delete(f"{RES}/{site_id}")
        platform.dispatcher.run_pending()
        assert sorted(listener.types()) == sorted(
            [
                "ResourceCreateEvent",
                "ResourceStateChangeEvent",
                "ResourceDeleteEvent",
                "ServiceCreateEvent",
                "ServiceStateChangeEvent",
                "ServiceAttributeValueChangeEvent",
            ]
        )
        created = next(e for e in listener.events if e["eventType"] == "ServiceCreateEvent")
        assert created["event"]["service"]["id"] == made["id"]
    finally:
        listener.close()
