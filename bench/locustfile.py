"""Load on the public catalog and the API, for Locust: anonymous buyers browsing, and machine clients calling the API
with an OAuth client-credentials token. Both revalidate what they have seen (If-None-Match), as browsers do.

    EXCHANGE_CLIENT_ID=… EXCHANGE_CLIENT_SECRET=… \\
        .venv/bin/locust -f bench/locustfile.py --host http://127.0.0.1:8000 --headless -u 20 -r 10 --run-time 1m

The client is one `flask --app app clients create --user buyer@jmrcb.demo` printed (the demo data has none).
tests/load/test_locust.py runs this file, bounded, against gunicorn in CI.
"""

from __future__ import annotations

import os
import random

from locust import HttpUser, between, task

# What people type into the catalog: one- and two-character Chinese words, longer runs, English, nothing.
QUERIES = ["陈皮", "社保", "电力", "电", "新会陈皮溯源", "企业用电", "信贷", "power", "tangerine peel", "insurance", ""]
FACETS = [{"sector": "agriculture"}, {"sector": "energy"}, {"sector": "social_security"}, {"venue": "finance"},
          {"delivery": "api"}, {"pricing": "subscription"}, {"sort": "newest"}, {"sort": "price_asc"}, {"page": 2}]
LANGUAGES = ["zh-CN,zh;q=0.9", "en-GB,en;q=0.8"]


class Revalidating:
    """Keeps the ETag of every URL a user has read and sends it back, so unchanged pages come back as 304."""

    def _get(self, path: str, *, name: str | None = None, params: dict | None = None, headers: dict | None = None):
        key = (path, tuple(sorted((params or {}).items())))
        sent = dict(headers or {})
        if key in self.etags:
            sent["If-None-Match"] = self.etags[key]
        response = self.client.get(path, params=params, headers=sent, name=name or path)
        if response.status_code == 200 and response.headers.get("ETag"):
            self.etags[key] = response.headers["ETag"]
        return response


class AnonymousBuyer(Revalidating, HttpUser):
    """Someone at a bank browsing the public catalog: searches, facets, listing pages, DCAT, the listing API."""

    weight = 3
    wait_time = between(0.2, 1.0)

    def on_start(self):
        self.etags: dict = {}
        self.client.headers["Accept-Language"] = random.choice(LANGUAGES)
        found = self.client.get("/api/v1/listings", params={"per_page": 50}, name="/api/v1/listings").json()
        self.product_ids = [item["id"] for item in found["items"]]

    @task(4)
    def search(self):
        self._get("/", params={"q": random.choice(QUERIES)}, name="/ [search]")

    @task(2)
    def facet(self):
        self._get("/", params={"q": random.choice(QUERIES[:3] + [""]), **random.choice(FACETS)}, name="/ [facet]")

    @task(3)
    def listing_page(self):
        if self.product_ids:  # an empty catalog has no pages to read
            self._get(f"/listings/{random.choice(self.product_ids)}", name="/listings/[id]")

    @task(1)
    def dcat(self):
        self._get("/catalog.jsonld")

    @task(2)
    def api_search(self):
        self._get("/api/v1/listings", params={"q": random.choice(QUERIES), **random.choice(FACETS)},
                  name="/api/v1/listings [search]")

    @task(1)
    def notices(self):
        self._get("/notices")


class MachineClient(Revalidating, HttpUser):
    """A bank's system on the API with a client-credentials token: searches, listings, certificate receipts, its own
    contracts."""

    weight = 1
    wait_time = between(0.2, 1.0)

    def on_start(self):
        self.etags = {}
        client_id, secret = os.environ.get("EXCHANGE_CLIENT_ID"), os.environ.get("EXCHANGE_CLIENT_SECRET")
        if not client_id or not secret:
            raise RuntimeError("MachineClient needs EXCHANGE_CLIENT_ID and EXCHANGE_CLIENT_SECRET "
                               "(flask --app app clients create --user EMAIL prints them)")
        token = self.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                 auth=(client_id, secret), name="/oauth/token")
        token.raise_for_status()
        self.client.headers.update({"Authorization": f"Bearer {token.json()['access_token']}",
                                    "Accept-Language": "en"})
        found = self.client.get("/api/v1/listings", params={"per_page": 50}, name="/api/v1/listings").json()
        self.listings = found["items"]

    @task(4)
    def search(self):
        self._get("/api/v1/listings", params={"q": random.choice(QUERIES)}, name="/api/v1/listings [search]")

    @task(3)
    def listing(self):
        if self.listings:
            self._get(f"/api/v1/listings/{random.choice(self.listings)['id']}", name="/api/v1/listings/[id]")

    @task(2)
    def receipt(self):
        number = random.choice(self.listings)["certificate_number"] if self.listings else None
        if number:
            self._get(f"/api/v1/certificates/{number}", name="/api/v1/certificates/[number]")

    @task(1)
    def checkpoint(self):
        self._get("/api/v1/log/checkpoint")

    @task(1)
    def contracts(self):
        self._get("/api/v1/contracts")
