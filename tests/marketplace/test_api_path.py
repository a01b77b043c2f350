"""The whole registration path over the API alone: CLI set-up, tokens, draft to public listing."""

from __future__ import annotations

import json

import pytest

from compliance.identifiers import make_uscc
from marketplace.audit import verify_chain
from tests.builders import DRAFT, PASSWORD, SAMPLE_CSV, basic_auth


def _cli(app, *args, stdin=None) -> dict:
    result = app.test_cli_runner().invoke(args=list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def _token(app, client, email) -> dict:
    created = _cli(app, "clients", "create", "--user", email)
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers={"Authorization": basic_auth(created["client_id"], created["client_secret"])})
    assert response.status_code == 200
    assert response.json["token_type"].lower() == "bearer"
    return {"Authorization": f"Bearer {response.json['access_token']}"}


@pytest.mark.parametrize("notice_hours", [0])
def test_draft_to_public_listing_over_the_api(app, client, notice_hours):
    app.config["MARKETPLACE_NOTICE_PERIOD_HOURS"] = notice_hours
    provider, lawfirm = make_uscc("91440700MA0000001"), make_uscc("31440000MD0000002")
    _cli(app, "orgs", "create", "--name", "新会陈皮产业园", "--uscc", provider, "--kind", "provider")
    _cli(app, "orgs", "create", "--name", "广东律师事务所", "--uscc", lawfirm, "--kind", "reviewer")
    _cli(app, "users", "create", "broker@chenpi.test", "--org", provider, "--role", "broker", stdin=PASSWORD + "\n")
    _cli(app, "users", "create", "reviewer@law.test", "--org", lawfirm, "--role", "reviewer",
         stdin=PASSWORD + "\n")
    broker, reviewer = _token(app, client, "broker@chenpi.test"), _token(app, client, "reviewer@law.test")

    created = client.post("/api/v1/products", json=DRAFT, headers=broker)
    assert created.status_code == 201, created.json
    product_id = created.json["id"]
    assert created.json["latest"]["state"] == "draft"

    blocked = client.post(f"/api/v1/products/{product_id}/submit", headers=broker)
    assert blocked.status_code == 422
    assert blocked.mimetype == "application/problem+json"
    assert "PI-01" in blocked.json["errors"] or "USE-02" in blocked.json["errors"]

    sample = client.put(f"/api/v1/products/{product_id}/sample?filename=sample.csv", data=SAMPLE_CSV.encode(),
                        headers={**broker, "Content-Type": "text/csv"})
    assert sample.status_code == 200, sample.json
    assert sample.json["latest"]["sample_rows"] == SAMPLE_CSV.count("\n") - 1
    evidence = client.post(f"/api/v1/products/{product_id}/evidence", headers=broker,
                           data={"item_code": "SRC-02", "note": "signed",
                                 "file": (__import__("io").BytesIO(b"%PDF-1.4 commitment"), "commitment.pdf")})
    assert evidence.status_code == 201, evidence.json
    assert evidence.json["media_type"] == "application/pdf"

    submitted = client.post(f"/api/v1/products/{product_id}/submit", headers=broker)
    assert submitted.status_code == 200, submitted.json
    assert submitted.json["latest"]["state"] == "submitted"

    queue = client.get("/api/v1/reviews", headers=reviewer)
    assert [r["product_id"] for r in queue.json] == [product_id]
    review = client.get(f"/api/v1/reviews/{queue.json[0]['id']}", headers=reviewer).json
    pi_scan = next(item for item in review["items"] if item["code"] == "PI-01")
    assert pi_scan["basis"]["en"].startswith("PIPL art. 4") and "《个人信息保护法》第四条" in pi_scan["basis"]["zh"]
    early = client.post(f"/api/v1/reviews/{review['id']}/decision", json={"decision": "approve"}, headers=reviewer)
    assert early.status_code == 422, "approval must wait for every applicable item"
    for item in review["items"]:
        if item["applicable"]:
            decided = client.put(f"/api/v1/reviews/{review['id']}/items/{item['code']}",
                                 json={"decision": "pass", "note": "checked"}, headers=reviewer)
            assert decided.status_code == 200, decided.json
    approved = client.post(f"/api/v1/reviews/{review['id']}/decision", json={"decision": "approve"},
                           headers=reviewer)
    assert approved.status_code == 200, approved.json
    assert approved.json["state"] == "approved"

    notices = client.get("/api/v1/notices").json
    assert [n["product_id"] for n in notices] == [product_id]
    assert client.get("/api/v1/listings").json["total"] == 0, "not listed before registration"

    housekeeping = _cli(app, "housekeeping")
    assert len(housekeeping["issued"]) == 1
    number = housekeeping["issued"][0]
    assert number.startswith(f"{app.config['MARKETPLACE_EXCHANGE_CODE']}-")
    assert _cli(app, "housekeeping")["issued"] == [], "housekeeping is idempotent"

    certificate = client.get(f"/api/v1/certificates/{number}")
    assert certificate.status_code == 200
    assert certificate.json["status"] == "valid"
    assert certificate.json["certificate"]["holder"]["uscc"] == provider
    assert len(certificate.json["certificate"]["metadata_digest"]["value"]) == 64
    assert certificate.json["log"]["leaf_index"] == 0 and certificate.json["signature"]["alg"] == "Ed25519"

    assert client.get("/api/v1/listings?q=用电").json["total"] == 0, "registered, not yet listed"
    offers = [{"name": "年度订阅", "name_en": "Annual", "pricing_mode": "subscription", "billing_period": "year",
               "price_minor": 1_200_050, "term_months": 12},
              {"name": "面议", "pricing_mode": "negotiable"}]
    listed = client.post(f"/api/v1/products/{product_id}/listing", json={"offers": offers, "venue": "transport"},
                         headers=broker)
    assert listed.status_code == 422 and "venue" in listed.json["errors"], "transport is not a zone"
    listed = client.post(f"/api/v1/products/{product_id}/listing", json={"offers": offers}, headers=broker)
    assert listed.status_code == 200, listed.json
    assert listed.json["state"] == "listed"

    listings = client.get("/api/v1/listings?q=用电").json
    assert set(listings) >= {"items", "total", "page", "per_page", "facets"}
    assert listings["total"] == 1
    assert listings["items"][0]["id"] == product_id
    assert listings["items"][0]["certificate_number"] == number
    assert listings["facets"]["sector"] == {"energy": 1}
    assert listings["facets"]["pricing"] == {"subscription": 1, "negotiable": 1}
    detail = client.get(f"/api/v1/listings/{product_id}").json
    assert detail["name"] == DRAFT["name"]
    assert [(o["pricing_mode"], o["price_minor"], o["currency"]) for o in detail["offers"]] == [
        ("subscription", 1_200_050, "CNY"), ("negotiable", None, "CNY")]

    timeline = client.get(f"/api/v1/products/{product_id}/timeline", headers=broker).json
    assert [t["to_state"] for t in timeline] == ["submitted", "in_review", "approved", "public_notice",
                                                 "registered"]
    assert verify_chain().ok
