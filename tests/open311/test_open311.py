"""An Open311 GeoReport v2 client's view of the server: list services, read a definition,
post a request with an API key, read it back in JSON and XML, and the errors."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from shanzhi.casework import services
from shanzhi.casework.models import CategoryAttribute, ServiceRequest
from shanzhi.casework.open311 import DEMO_API_KEY

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


@pytest.fixture
def key(county, categories):
    services.open311_client_create(actor=None, county=county.county, name="demo client", key=DEMO_API_KEY)
    CategoryAttribute.objects.create(category=categories["water"], code="kind", label="What kind of problem?",
                                     datatype="singlevaluelist", required=True,
                                     values=[{"key": "leak", "name": "漏水"}, {"key": "outage", "name": "停水"}])
    return DEMO_API_KEY


def xml(response):
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)  # noqa: S314 (our own output)


def test_discovery_and_services_in_json_and_xml(client, key):
    d = client.get(f"{BASE}/discovery.json").json()
    assert d["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert xml(client.get(f"{BASE}/discovery.xml")).tag == "discovery"
    services_json = client.get(f"{BASE}/services.json").json()
    codes = [s["service_code"] for s in services_json]
    assert codes[:3] == ["water", "roads", "environment"]
    water = services_json[0]
    assert water["metadata"] is True
    assert water["type"] == "realtime"
    assert water["service_name"] == "供水"
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == codes
    definition = client.get(f"{BASE}/services/water.json").json()
    attr = definition["attributes"][0]
    assert (attr["code"], attr["datatype"], attr["required"], attr["variable"]) == ("kind", "singlevaluelist",
                                                                                    True, True)
    assert [v["key"] for v in attr["values"]] == ["leak", "outage"]
    root = xml(client.get(f"{BASE}/services/water.xml"))
    assert root.find("attributes/attribute/values/value/key").text == "leak"


def test_post_and_read_back(client, key, county):
    grid = county.grids[0]
    r = client.post(f"{BASE}/requests.json", {
        "api_key": key, "service_code": "water", "address_id": grid.code, "description": "主管道漏水",
        "attribute[kind]": "leak", "first_name": "王", "phone": "13900001111", "address_string": "张湾村口"})
    assert r.status_code == 201, r.content
    posted = r.json()[0]
    rid, token = posted["service_request_id"], posted["token"]
    req = ServiceRequest.objects.get(pk=rid)
    assert (req.channel, req.region, req.attributes, req.state) == ("open311", grid, {"kind": "leak"}, "submitted")
    one = client.get(f"{BASE}/requests/{rid}.json").json()[0]
    assert (one["status"], one["service_code"], one["description"]) == ("open", "water", "主管道漏水")
    assert "phone" not in one
    assert "13900001111" not in str(one)
    root = xml(client.get(f"{BASE}/requests/{rid}.xml"))
    assert root.find("request/service_request_id").text == rid
    assert root.find("request/status").text == "open"
    assert client.get(f"{BASE}/tokens/{token}.json").json() == [{"service_request_id": rid, "token": token}]
    listed = client.get(f"{BASE}/requests.json?service_code=water&status=open").json()
    assert [x["service_request_id"] for x in listed] == [rid]
    assert client.get(f"{BASE}/requests.json?status=closed").json() == []
    assert client.get(f"{BASE}/requests.json?service_request_id={rid}").json()[0]["service_request_id"] == rid
    assert client.get(f"{BASE}/requests.json?start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00Z"
                      ).json() == []
    # XML post too, and a lat/long location resolved to the nearest place.
    grid.latitude, grid.longitude = 36.45, 107.99
    grid.save()
    r = client.post(f"{BASE}/requests.xml", {"api_key": key, "service_code": "roads", "lat": "36.4501",
                                             "long": "107.9902", "description": "路面塌陷"})
    assert r.status_code == 201
    new_id = xml(r).find("request/service_request_id").text
    assert ServiceRequest.objects.get(pk=new_id).region == grid


def test_closed_status_and_notes_follow_the_workflow(client, key, county):
    rid = client.post(f"{BASE}/requests.json", {"api_key": key, "service_code": "environment",
                                                "address_id": county.grids[0].code, "description": "垃圾堆积"}
                      ).json()[0]["service_request_id"]
    req = ServiceRequest.objects.get(pk=rid)
    services.request_reject(actor=county.users["grid_leader"], request=req, reason="已由环卫公司按合同处理")
    one = client.get(f"{BASE}/requests/{rid}.json").json()[0]
    assert one["status"] == "closed"
    assert "已由环卫公司按合同处理" in one["status_notes"]


def test_private_categories_are_only_for_the_client_that_filed(client, key, county):
    rid = client.post(f"{BASE}/requests.json", {"api_key": key, "service_code": "neighbourhood",
                                                "address_id": county.grids[0].code, "description": "邻居噪音"}
                      ).json()[0]["service_request_id"]
    assert client.get(f"{BASE}/requests.json").json() == []
    assert client.get(f"{BASE}/requests/{rid}.json").status_code == 404
    mine = client.get(f"{BASE}/requests.json?api_key={key}").json()
    assert [x["service_request_id"] for x in mine] == [rid]
    assert mine[0]["description"] == "邻居噪音"


@pytest.mark.parametrize(("data", "status", "needle"), [
    ({"service_code": "water", "address_id": "621023100201001", "description": "x"}, 403, "api_key"),
    ({"api_key": "wrong", "service_code": "water", "address_id": "621023100201001"}, 403, "api_key"),
    ({"api_key": DEMO_API_KEY, "address_id": "621023100201001", "description": "x"}, 400, "service_code"),
    ({"api_key": DEMO_API_KEY, "service_code": "nope", "address_id": "621023100201001"}, 404, "service_code"),
    ({"api_key": DEMO_API_KEY, "service_code": "roads", "description": "x"}, 400, "location"),
    ({"api_key": DEMO_API_KEY, "service_code": "roads", "address_id": "999", "description": "x"}, 400, "address_id"),
    ({"api_key": DEMO_API_KEY, "service_code": "roads", "lat": "abc", "long": "1", "description": "x"}, 400, "lat"),
    ({"api_key": DEMO_API_KEY, "service_code": "water", "address_id": "621023100201001", "description": "x"}, 400,
     "kind"),
    ({"api_key": DEMO_API_KEY, "service_code": "roads", "address_id": "621023100201001", "description": ""}, 400,
     "description"),
])
def test_post_errors_as_the_specification_says(client, key, data, status, needle):
    for fmt in ("json", "xml"):
        r = client.post(f"{BASE}/requests.{fmt}", data)
        assert r.status_code == status, (fmt, r.content)
        if fmt == "json":
            body = r.json()
            assert body[0]["code"] == status
            assert needle in body[0]["description"]
        else:
            root = xml(r)
            assert root.tag == "errors"
            assert root.find("error/code").text == str(status)
    assert not ServiceRequest.objects.exists()


def test_get_errors(client, key):
    assert client.get(f"{BASE}/services/nope.json").status_code == 404
    assert client.get(f"{BASE}/requests/12345.json").status_code == 404
    assert client.get(f"{BASE}/tokens/not-a-token.json").status_code == 404
    assert client.get(f"{BASE}/requests.json?status=maybe").status_code == 400
    assert client.get(f"{BASE}/requests.json?start_date=yesterday").status_code == 400
    assert client.get(f"{BASE}/services.json?jurisdiction_id=110101000000").status_code == 404
    assert client.get(f"{BASE}/services.yaml").status_code == 404
