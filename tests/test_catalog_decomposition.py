"""Decomposition rules on product specifications: read, validated, refused when malformed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ossbss.catalog import characteristic_value
from ossbss.catalog.decomposition import read
from ossbss.kernel.errors import InvalidInput

FIBRE: dict[str, Any] = {
    "name": "Fibre",
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
                        {"name": "ipv4Address", "allocate": "ipv4", "pool": "residential"},
                        {
                            "name": "rateDownKbps",
                            "characteristic": "downloadSpeed",
                            "multiplier": 1000,
                        },
                    ],
                },
                {
                    "name": "access-vlan",
                    "driver": "netconf",
                    "parameter": [
                        {"name": "port", "characteristic": "accessPort"},
                        {"name": "vlan", "allocate": "vlan", "perDevice": True},
                        {"name": "description", "copy": "port"},
                    ],
                },
            ],
        }
    ],
}


def test_a_fibre_specification_decomposes_into_two_resource_facing_services() -> None:
    (cfs,) = read(FIBRE)
    assert cfs.name == "Internet access"
    radius, vlan = cfs.services
    assert (radius.driver, vlan.driver) == ("radius", "netconf")
    assert radius.characteristics() == {"downloadSpeed"}
    ip = radius.parameters[1]
    assert (ip.source, ip.argument, ip.pool) == ("allocate", "ipv4", "residential")
    assert vlan.parameters[1].per_device


def test_characteristic_values_are_scaled_exactly() -> None:
    (cfs,) = read(FIBRE)
    speed = cfs.services[0].parameters[2]
    assert characteristic_value(speed, {"downloadSpeed": "300"}) == "300000"
    assert characteristic_value(speed, {"downloadSpeed": "0.5"}) == "500"
    assert characteristic_value(speed, {}) is None


def test_a_specification_without_services_decomposes_to_nothing() -> None:
    assert read({"name": "Installation"}) == ()


@pytest.mark.parametrize(
    ("parameter", "field"),
    [
        ({"name": "x"}, "parameter[0]"),
        ({"name": "x", "value": "1", "generate": "password"}, "parameter[0]"),
        ({"name": "x", "allocate": "wormhole"}, "parameter[0].allocate"),
        ({"name": "x", "generate": "luck"}, "parameter[0].generate"),
        ({"name": "x", "value": "1", "multiplier": 0}, "parameter[0].multiplier"),
        ({"name": "x", "copy": "y"}, "resourceFacingService[0].parameter"),
        (
            {"name": "x", "allocate": "vlan", "perDevice": True},
            "resourceFacingService[0].parameter",
        ),
    ],
)
def test_malformed_rules_name_the_field(parameter: dict[str, Any], field: str) -> None:
    spec = {
        "serviceSpecification": [
            {
                "id": "c",
                "resourceFacingService": [
                    {"name": "r", "driver": "fake", "parameter": [parameter]}
                ],
            }
        ]
    }
    with pytest.raises(InvalidInput) as caught:
        read(spec)
    assert field in (caught.value.field or "")


def test_the_catalog_api_refuses_a_malformed_decomposition(client: TestClient) -> None:
    path = "/tmf-api/productCatalogManagement/v4/productSpecification"
    assert client.post(path, json=FIBRE).status_code == 201
    bad = {
        "name": "Broken",
        "serviceSpecification": [{"id": "c", "resourceFacingService": [{"name": "r"}]}],
    }
    response = client.post(path, json=bad)
    assert response.status_code == 400
    assert "resourceFacingService[0].driver" in response.json()["message"]
