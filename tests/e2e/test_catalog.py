"""The catalog in a real browser: search, facets, a listing's offers and certificate; a broker lists a product
through the offers form and finds it in the very next search."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from marketplace.extensions import db
from tests.builders import listed, registered
from tests.e2e.test_registration_flow import sign_in

pytestmark = pytest.mark.e2e

PEEL = {"name": "新会陈皮产业指数", "name_en": "Xinhui tangerine peel index", "sector": "agriculture",
        "description": "Prices and output of Xinhui tangerine peel by grade."}
PEEL_TEA = {"name": "陈皮茶饮消费数据", "name_en": "Peel tea consumption", "sector": "commerce",
            "description": "Monthly sales of tangerine-peel tea drinks."}


def test_search_facet_listing_and_certificate(app, world, open_context, results_dir):
    peel = listed(world.broker_b, world.reviewer, venue="agriculture", **PEEL)
    listed(world.broker_a, world.reviewer, **PEEL_TEA)
    listed(world.broker_a, world.reviewer)  # the electricity index: not about peel at all
    peel_id = peel.id
    db.session.remove()

    page = open_context().new_page()
    page.goto("/")
    expect(page.locator("article.listing-card")).to_have_count(3)
    page.fill("#q", "陈皮")
    page.locator("form.search-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"[?&]q=%E9%99%88%E7%9A%AE"))
    expect(page.locator("article.listing-card")).to_have_count(2)
    expect(page.locator(".result-count")).to_contain_text("2")

    sector = page.locator("#facet-sector")
    expect(sector.locator("li", has_text="Agriculture").locator(".count")).to_have_text("1")
    sector.get_by_role("link", name="Agriculture").click()
    expect(page).to_have_url(re.compile(r"sector=agriculture"))
    expect(page).to_have_url(re.compile(r"q=%E9%99%88%E7%9A%AE"))  # the search text is kept
    cards = page.locator("article.listing-card")
    expect(cards).to_have_count(1)
    expect(cards).to_contain_text("Xinhui tangerine peel index")
    expect(cards).to_contain_text("¥0.50 / call")  # the cheapest offer
    expect(page.locator("#facet-sector a[aria-current]")).to_contain_text("Agriculture")
    expect(page.locator(".chosen-filters")).to_contain_text("Sector: Agriculture")
    page.screenshot(path=results_dir / "catalog-en.png", full_page=True)

    cards.get_by_role("link", name="Xinhui tangerine peel index").click()
    expect(page).to_have_url(re.compile(rf"/listings/{peel_id}$"))
    offers = page.locator("#offers")
    expect(offers.locator("tbody tr")).to_have_count(2)
    expect(offers).to_contain_text("¥12,000.00 / year")
    expect(offers).to_contain_text("¥0.50 / call")
    expect(page.locator("#provider")).to_contain_text("Provider B")
    assert page.locator("script[type='application/ld+json']").count() == 1
    page.screenshot(path=results_dir / "listing-en.png", full_page=True)

    page.locator("#certificate").get_by_role("link", name="Verify this certificate").click()
    expect(page).to_have_url(re.compile(r"/verify\?number="))
    expect(page.locator("#verification .alert-success")).to_be_visible()

    # The same listing in Chinese: names, labels and prices in the reader's language.
    chinese = open_context(locale="zh-CN").new_page()
    chinese.goto(f"/listings/{peel_id}?lang=zh")
    expect(chinese.locator("h1")).to_have_text(PEEL["name"])
    expect(chinese.locator("#offers")).to_contain_text("¥12,000.00 / 年")
    expect(chinese.locator("#offers")).to_contain_text("按年")
    expect(chinese.locator("#certificate")).to_contain_text("核验此证书")
    chinese.screenshot(path=results_dir / "listing-zh.png", full_page=True)


def test_a_broker_lists_a_product_and_finds_it_in_the_next_search(app, world, open_context, results_dir):
    product_id = registered(world.broker_a, world.reviewer).id
    email = world.broker_a.email
    db.session.remove()

    page = open_context().new_page()
    page.goto("/?q=用电")
    expect(page.locator("article.listing-card")).to_have_count(0)
    expect(page.locator(".empty-state")).to_be_visible()

    sign_in(page, email)
    page.goto(f"/products/{product_id}")
    panel = page.locator("#listing")
    expect(panel).to_contain_text("Not in the catalog yet.")
    panel.get_by_role("link", name="List in the catalog").click()
    expect(page).to_have_url(re.compile(rf"/products/{product_id}/listing$"))

    page.select_option("#venue", "energy")
    page.fill("#offers-0-name", "年度订阅")
    page.fill("#offers-0-name_en", "Annual subscription")
    page.select_option("#offers-0-pricing_mode", "subscription")
    page.select_option("#offers-0-billing_period", "year")
    page.fill("#offers-0-price", "1.005")
    page.get_by_role("button", name="List in the catalog").click()
    expect(page.locator("#offer-row-0 .field-errors")).to_contain_text("At most 2 decimal places.")
    expect(page.locator("#offers-0-name")).to_have_value("年度订阅")  # what was typed comes back
    page.screenshot(path=results_dir / "offers-form-en.png", full_page=True)

    page.fill("#offers-0-price", "12000.50")
    page.check("#offers-0-instant")
    page.get_by_role("button", name="List in the catalog").click()
    expect(page).to_have_url(re.compile(rf"/listings/{product_id}$"))
    expect(page.locator(".flash-success")).to_contain_text("Listed in the catalog")
    expect(page.locator("#offers")).to_contain_text("¥12,000.50 / year")
    expect(page.locator("#offers")).to_contain_text("Instant access")

    page.goto("/")
    page.fill("#q", "用电")
    page.locator("form.search-form button[type=submit]").click()
    card = page.locator("article.listing-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("¥12,000.50 / year")
    expect(page.locator(".venue-tabs")).to_contain_text("Energy zone")
