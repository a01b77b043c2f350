"""The browser's side of the HTTP interface: sessions, CSRF, headers, the OpenAPI document."""

from __future__ import annotations

import re

from tests.builders import PASSWORD, ready_draft


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _sign_in(client, email):
    token = _csrf(client.get("/sign-in").get_data(as_text=True))
    return client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})


def test_sign_in_and_out_ends_the_session_server_side(app, client, world):
    response = _sign_in(client, world.broker_a.email)
    assert response.status_code == 302
    cookie = client.get_cookie("session").value
    assert client.get("/my/products").status_code == 200

    token = _csrf(client.get("/my/products").get_data(as_text=True))
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", cookie, domain="localhost")
    assert replay.get("/my/products").status_code == 302, "an old cookie must not come back to life"


def test_sessions_end_when_idle_and_at_their_absolute_limit(client, world):
    from datetime import timedelta

    import time_machine

    from marketplace.types import utcnow

    with time_machine.travel(utcnow(), tick=False) as clock:
        _sign_in(client, world.broker_a.email)
        assert client.get("/my/products").status_code == 200
        clock.shift(timedelta(minutes=29))
        assert client.get("/my/products").status_code == 200, "used within 30 minutes: still signed in"
        clock.shift(timedelta(minutes=31))
        assert client.get("/my/products").status_code == 302, "31 minutes idle: signed out"

        _sign_in(client, world.broker_a.email)
        signed_in = utcnow()
        for _ in range(40):  # busy all day, a request every 20 minutes
            clock.shift(timedelta(minutes=20))
            if client.get("/my/products").status_code != 200:
                break
        busy = utcnow() - signed_in
        assert timedelta(hours=12) < busy <= timedelta(hours=12, minutes=20), "signed out 12 hours after sign-in"


def test_unknown_user_and_wrong_password_answer_the_same(client, world):
    token = _csrf(client.get("/sign-in").get_data(as_text=True))
    wrong = client.post("/sign-in", data={"email": world.broker_a.email, "password": "x" * 14, "csrf_token": token})
    unknown = client.post("/sign-in", data={"email": "nobody@x.test", "password": "x" * 14, "csrf_token": token})
    assert wrong.status_code == unknown.status_code == 401

    def page(response, email):
        return re.sub(r'value="[^"]*"', "", response.get_data(as_text=True).replace(email, ""))

    assert page(wrong, world.broker_a.email) == page(unknown, "nobody@x.test")


def test_form_posts_without_csrf_are_refused(client, world):
    _sign_in(client, world.broker_a.email)
    response = client.post("/products/new", data={"name": "x"})
    assert response.status_code == 400


def test_api_with_the_session_cookie_needs_the_csrf_header(client, world):
    product = ready_draft(world.broker_a)
    _sign_in(client, world.broker_a.email)
    token = _csrf(client.get("/my/products").get_data(as_text=True))
    assert client.get(f"/api/v1/products/{product.id}").status_code == 200
    url = f"/api/v1/products/{product.id}"
    assert client.patch(url, json={"description": "x"}).status_code == 403
    assert client.patch(url, json={"description": "x"}, headers={"X-CSRFToken": token}).status_code == 200


def test_security_headers_on_every_response(client):
    for path in ("/", "/api/v1/listings", "/sign-in", "/no-such-page"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_a_product_named_script_renders_inert(client, world):
    from tests.builders import listed

    product = listed(world.broker_a, world.reviewer, name="<script>alert(1)</script>")
    for path in ("/", f"/listings/{product.id}"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # The JSON-LD block carries the name too, escaped so that it cannot close its <script> element.
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page


def test_openapi_document_describes_the_api(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/products", "/api/v1/products/{product_id}/submit", "/api/v1/reviews/{review_id}/decision",
                 "/api/v1/listings", "/api/v1/certificates/{number}", "/api/v1/notices/{product_id}/objections"):
        assert path in spec["paths"], path
    assert "ProductDraft" in spec["components"]["schemas"]
    from marketplace.policy import SCOPES, SCOPES_BY_ROLE

    flows = spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flows["tokenUrl"] == "/oauth/token"
    assert {scope for scopes in SCOPES_BY_ROLE.values() for scope in scopes} == set(flows["scopes"]) == set(SCOPES)
    assert spec["paths"]["/api/v1/products"]["post"]["security"][0] == {"oauth2": ["products"]}
    assert "security" not in spec["paths"]["/api/v1/listings"]["get"], "the catalog is public"
    assert client.get("/api/docs").status_code == 200


def test_not_found_is_a_problem_for_api_clients_and_a_page_for_browsers(client):
    api = client.get("/api/v1/listings/999")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
    page = client.get("/listings/999", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_junk_catalog_paging_is_a_4xx_not_a_500(client):
    assert client.get("/?page=999999999999999999999").status_code == 422
    assert client.get("/?q=" + "x" * 500).status_code == 422
    assert client.get("/?page=2").status_code == 200


def test_reviewers_read_products_but_do_not_get_the_edit_form(client, world):
    product = ready_draft(world.broker_a)
    _sign_in(client, world.reviewer.email)
    assert client.get(f"/products/{product.id}").status_code == 200
    assert client.get(f"/products/{product.id}/edit").status_code == 403
