"""Correlation's pure rules, without a database: what is behind a device or a link, which
device is the core, what an alarm says is down, which candidate root wins, outages per
customer."""

from __future__ import annotations

from ossbss.assurance.topology_rules import (
    Candidate,
    HurtService,
    elect_roots,
    grown,
    outage_kind,
    outages_by_customer,
    parent_in,
)
from ossbss.inventory import Topology, TopologyLink, behind_device, behind_link, build_topology
from ossbss.inventory.footprint import customers_of, footprint_of, products_of


def _link(name: str, a: str, b: str) -> TopologyLink:
    return TopologyLink(id=name, port_a=f"{a}:{name}", device_a=a, port_b=f"{b}:{name}", device_b=b)


def _network(*links: TopologyLink, core: str | None = "core", devices: str = "") -> Topology:
    names = ["core", "olt", "switch", "cpe", "ring1", "ring2", *devices.split()]
    roles = {"core": "core"} if core == "core" else {}
    return build_topology(devices=[n for n in names if n], links=links, roles=roles)


TREE = (
    _link("core-olt", "core", "olt"),
    _link("olt-switch", "olt", "switch"),
    _link("switch-cpe", "switch", "cpe"),
)


def test_behind_a_device_are_the_devices_that_lose_every_path_to_the_core() -> None:
    network = _network(*TREE)
    assert behind_device(network, "olt") == {"switch", "cpe"}
    assert behind_device(network, "switch") == {"cpe"}
    assert behind_device(network, "cpe") == set()


def test_a_second_path_keeps_a_device_reachable() -> None:
    # ring: core - ring1 - ring2 - core; the olt hangs off ring1
    network = _network(
        _link("core-ring1", "core", "ring1"),
        _link("ring1-ring2", "ring1", "ring2"),
        _link("ring2-core", "ring2", "core"),
        _link("ring1-olt", "ring1", "olt"),
    )
    assert behind_device(network, "ring2") == set()
    assert behind_device(network, "ring1") == {"olt"}
    assert behind_link(network, "ring1-ring2") == set()
    assert behind_link(network, "ring1-olt") == {"olt"}


def test_parallel_links_make_one_link_failure_harmless() -> None:
    network = _network(_link("a", "core", "olt"), _link("b", "core", "olt"))
    assert behind_link(network, "a") == set()
    assert behind_device(network, "olt") == set()


def test_behind_a_link_is_its_far_side() -> None:
    network = _network(*TREE)
    assert behind_link(network, "core-olt") == {"olt", "switch", "cpe"}
    assert behind_link(network, "switch-cpe") == {"cpe"}


def test_the_only_core_down_takes_everything_it_reached() -> None:
    network = _network(*TREE, devices="island")
    assert behind_device(network, "core") == {"olt", "switch", "cpe"}


def test_an_island_is_behind_nothing() -> None:
    network = _network(*TREE, devices="island")
    assert "island" not in behind_device(network, "olt")


def test_without_a_core_role_the_most_linked_device_is_the_core() -> None:
    network = _network(*TREE, core=None)
    # olt and switch have two links each; olt was recorded first
    assert network.core == {"olt"}
    assert behind_device(network, "switch") == {"cpe"}


def test_a_core_tie_prefers_the_device_with_fewer_access_ports() -> None:
    network = build_topology(
        devices=["olt", "router"],
        links=[_link("x", "olt", "router")],
        roles={"olt": "access"},
        access_ports={"olt": 16, "router": 1},
    )
    assert network.core == {"router"}


def test_what_an_alarm_says_is_down() -> None:
    assert outage_kind(probable_cause="deviceDown", severity="major", object_type="Device") == (
        "device"
    )
    assert outage_kind(probable_cause="node-down", severity="minor", object_type="Device") == (
        "device"
    )
    # reachability only when critical
    assert outage_kind(probable_cause="unreachable", severity="critical", object_type="Device")
    assert not outage_kind(probable_cause="unreachable", severity="major", object_type="Device")
    # a restart says the device is back
    assert not outage_kind(probable_cause="coldStart", severity="critical", object_type="Device")
    assert outage_kind(probable_cause="linkDown", severity="major", object_type="Port") == "port"
    assert outage_kind(probable_cause="linkDown", severity="major", object_type="Link") == "link"
    assert not outage_kind(probable_cause="highTemperature", severity="major", object_type="Port")
    assert not outage_kind(probable_cause="linkDown", severity="major", object_type=None)


def _candidate(alarm: str, order: int, obj: str, *scope: str) -> Candidate:
    kind = "device" if len(scope) > 2 else "port"
    return Candidate(alarm, order, kind, obj, frozenset({obj, *scope}))


def test_the_widest_scope_wins_and_groups_the_others() -> None:
    olt = _candidate("a-olt", 2, "olt", "olt:1", "olt:2", "switch", "switch:1")
    switch = _candidate("a-switch", 1, "switch", "switch:1", "switch:2")
    unrelated = _candidate("a-other", 3, "other:1")
    roots, parents = elect_roots([switch, unrelated, olt])
    assert [root.alarm_id for root in roots] == ["a-olt", "a-other"]
    assert parents == {"a-switch": "a-olt"}


def test_the_first_end_of_a_link_wins_over_the_far_end() -> None:
    near = Candidate("near", 1, "link", "L", frozenset({"L", "p1", "p2"}))
    far = Candidate("far", 2, "link", "p2", frozenset({"L", "p1", "p2"}))
    roots, parents = elect_roots([far, near])
    assert [root.alarm_id for root in roots] == ["near"]
    assert parents == {"far": "near"}


def test_parent_in_scopes() -> None:
    scopes = {"r1": frozenset({"a"}), "r2": frozenset({"a", "b"})}
    assert parent_in("a", scopes) == "r1"
    assert parent_in("b", scopes) == "r2"
    assert parent_in("c", scopes) is None
    assert parent_in(None, scopes) is None


def test_outages_per_customer_gather_their_services_and_products() -> None:
    outages = outages_by_customer(
        [
            HurtService("s1", "Internet", ("c1",), ("p1",)),
            HurtService("s2", "Voice", ("c1",), ("p2",)),
            HurtService("s3", "Internet", ("c2",), ("p3",)),
            HurtService("s4", "Transit", (), ()),
        ]
    )
    assert [(o.customer_id, o.service_ids, o.product_ids) for o in outages] == [
        ("c1", ("s1", "s2"), ("p1", "p2")),
        ("c2", ("s3",), ("p3",)),
    ]
    assert grown(["s1"], ["s1", "s2", "s2"]) == ["s2"]


def test_a_services_footprint_customers_and_products() -> None:
    rfs = {
        "serviceCharacteristic": [
            {"name": "port", "value": "port-1"},
            {"name": "device", "value": "olt-1"},
            {"name": "vlan", "value": "100"},
        ],
        "supportingResource": [{"id": "pool-1"}],
    }
    assert footprint_of(rfs) == {
        "pool-1": "supportingResource",
        "port-1": "port",
        "olt-1": "device",
    }
    cfs = {
        "relatedParty": [
            {"id": "c1", "role": "customer", "@referredType": "Customer"},
            {"id": "u1", "role": "technician", "@referredType": "Individual"},
        ],
        "relatedEntity": [
            {"id": "prod-1", "role": "product", "@referredType": "Product"},
            {"id": "spec-1", "role": "productSpecification"},
        ],
    }
    assert customers_of(cfs) == ("c1",)
    assert products_of(cfs) == ("prod-1",)
