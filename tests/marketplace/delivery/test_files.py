"""File delivery: brokers publish and revoke releases; buyers download what their contract covers; a revoked
release is gone and its buyers are told. API and web."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.builders import PASSWORD, bearer_for, draft
from tests.marketplace.delivery.builders import KWH_RELEASE_CSV, PURPOSE, active_contract, kwh_product, release


@pytest.fixture
def product(world):
    return kwh_product(world)


def _publish(client, product, headers, files=(("a.csv", KWH_RELEASE_CSV.encode()),), notes="March"):
    data = {"notes": notes, "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/api/v1/products/{product.id}/releases", data=data, headers=headers,
                       content_type="multipart/form-data")


def test_the_broker_publishes_numbered_releases_with_several_files(client, world, product):
    headers = bearer_for(client, world.broker_a, scopes=["delivery"])
    first = _publish(client, product, headers, files=(("a.csv", KWH_RELEASE_CSV.encode()),
                                                      ("../../readme.txt", b"about the data")))
    assert first.status_code == 201, first.json
    assert first.json["number"] == 1 and first.json["state"] == "published"
    assert [f["filename"] for f in first.json["files"]] == ["a.csv", "readme.txt"]
    assert first.json["rows_loaded"] == KWH_RELEASE_CSV.count("\n") - 1
    assert _publish(client, product, headers).json["number"] == 2
    listed = client.get(f"/api/v1/products/{product.id}/releases", headers=headers)
    assert [r["number"] for r in listed.json] == [2, 1]


@pytest.mark.parametrize("intruder", ["broker_b", "buyer"])
def test_only_the_products_brokers_publish(client, world, product, intruder):
    assert _publish(client, product, bearer_for(client, getattr(world, intruder))).status_code in (403, 404)


def test_an_unregistered_product_has_no_releases(client, world):
    unregistered = draft(world.broker_a)
    response = _publish(client, unregistered, bearer_for(client, world.broker_a))
    assert response.status_code == 422 and "registered" in response.json["detail"]


def test_a_release_needs_a_file(client, world, product):
    response = _publish(client, product, bearer_for(client, world.broker_a), files=())
    assert response.status_code == 422 and "files" in response.json["errors"]


def test_an_aggregate_product_needs_a_readable_table(client, world, product):
    response = _publish(client, product, bearer_for(client, world.broker_a), files=(("x.pdf", b"%PDF-1.4 x"),))
    assert response.status_code == 422


def test_revoking_stops_downloads_and_tells_the_buyers(client, world, product):
    contract = active_contract(world, product)
    published = release(world, product, KWH_RELEASE_CSV)
    buyer = bearer_for(client, world.buyer)
    url = f"/api/v1/contracts/{contract.id}/files/{published.files[0].id}"
    assert client.get(url, query_string={"purpose": PURPOSE}, headers=buyer).status_code == 200
    response = client.post(f"/api/v1/products/{product.id}/releases/1/revoke", json={"reason": "wrong district codes"},
                           headers=bearer_for(client, world.broker_a))
    assert response.status_code == 200 and response.json["state"] == "revoked"
    gone = client.get(url, query_string={"purpose": PURPOSE}, headers=buyer)
    assert gone.status_code == 410
    assert "revoked" in gone.json["detail"] and "wrong district codes" in gone.json["detail"]
    listed = client.get(f"/api/v1/contracts/{contract.id}/files", query_string={"purpose": PURPOSE}, headers=buyer)
    assert listed.json == []
    told = db.session.scalars(select(Notification).where(Notification.event == "release.revoke")).all()
    assert {n.user_id for n in told} == {world.buyer.id}
    again = client.post(f"/api/v1/products/{product.id}/releases/1/revoke", json={"reason": "again"},
                        headers=bearer_for(client, world.broker_a))
    assert again.status_code == 409


def test_a_file_of_another_product_is_not_found(client, world, product):
    contract = active_contract(world, product)
    other = kwh_product(world)
    foreign = release(world, other, KWH_RELEASE_CSV)
    response = client.get(f"/api/v1/contracts/{contract.id}/files/{foreign.files[0].id}",
                          query_string={"purpose": PURPOSE}, headers=bearer_for(client, world.buyer))
    assert response.status_code == 404


def _sign_in(client, user):
    page = client.get("/sign-in")
    assert page.status_code == 200
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return token


def _csrf(client, path):
    return client.get(path).get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]


def test_web_the_broker_publishes_and_revokes_and_the_buyer_downloads(app, world, product):
    contract = active_contract(world, product)
    broker = app.test_client()
    _sign_in(broker, world.broker_a)
    page = broker.get(f"/products/{product.id}")
    assert f"/products/{product.id}/releases" in page.get_data(as_text=True)
    token = _csrf(broker, f"/products/{product.id}/releases")
    response = broker.post(f"/products/{product.id}/releases", content_type="multipart/form-data",
                           data={"csrf_token": token, "notes": "Q1",
                                 "files": (io.BytesIO(KWH_RELEASE_CSV.encode()), "q1.csv")})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert "q1.csv" in broker.get(f"/products/{product.id}/releases").get_data(as_text=True)

    buyer = app.test_client()
    _sign_in(buyer, world.buyer)
    html = buyer.get(f"/trading/contracts/{contract.id}").get_data(as_text=True)
    assert 'id="delivery"' in html and "q1.csv" in html
    link = re.search(r'href="(/trading/contracts/\d+/files/\d+\?[^"]+)"', html).group(1).replace("&amp;", "&")
    download = buyer.get(link)
    assert download.status_code == 200 and download.get_data(as_text=True) == KWH_RELEASE_CSV

    token = _csrf(broker, f"/products/{product.id}/releases")
    missing = broker.post(f"/products/{product.id}/releases/1/revoke", data={"csrf_token": token, "reason": ""})
    assert missing.status_code == 422
    revoked = broker.post(f"/products/{product.id}/releases/1/revoke", data={"csrf_token": token, "reason": "bad"})
    assert revoked.status_code == 302
    refused = buyer.get(link)
    assert refused.status_code == 302  # back to the contract page with the reason flashed


def test_web_others_do_not_see_the_releases_page(app, world, product):
    intruder = app.test_client()
    _sign_in(intruder, world.broker_b)
    assert intruder.get(f"/products/{product.id}/releases").status_code == 404
