"""The review desk page: a summary of every item, compact cards for applicable items, the rest folded away."""

from __future__ import annotations

import re

from compliance.checklist import DEFAULT_TEMPLATE
from marketplace.registration import services as registration
from tests.builders import PASSWORD, approved, latest_review, submitted


def _sign_in(client, email):
    html = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302


def _section(html: str, start: str, end: str) -> str:
    return html[html.index(start):html.index(end, html.index(start))]


def test_review_page_summarises_and_folds_the_inapplicable_items(client, world):
    review = latest_review(submitted(world.broker_a))
    registration.decide_item(review.id, "ENT-01", decision="pass", actor=world.reviewer)
    registration.decide_item(review.id, "SRC-01", decision="fail", note="too vague", actor=world.reviewer)
    applicable = [item.code for item in review.items if item.applicable]
    inapplicable = [item.code for item in review.items if not item.applicable]
    assert applicable and inapplicable
    _sign_in(client, world.reviewer.email)

    html = client.get(f"/reviews/{review.id}?lang=en").get_data(as_text=True)

    summary = _section(html, 'id="summary"', "</section>")
    assert re.findall(r'href="#item-([A-Z]+-\d+)"', summary) == list(DEFAULT_TEMPLATE.codes)
    assert f"2 of {len(applicable)} applicable items decided; 1 failed." in summary
    cards = re.findall(r'<article class="review-item[^"]*" id="item-([A-Z]+-\d+)"', html)
    assert cards == applicable
    folded = _section(html, "<details", "</details>")
    assert re.findall(r'<tr id="item-([A-Z]+-\d+)"', folded) == inapplicable
    for code in applicable:
        assert f'id="decision-{code}"' in html and f'id="note-{code}"' in html
    assert "style=" not in html and "<script" not in html


def test_review_page_cites_the_basis_in_the_page_language(client, world):
    review = latest_review(submitted(world.broker_a))
    _sign_in(client, world.reviewer.email)
    basis = DEFAULT_TEMPLATE.item("SRC-01").basis

    chinese = client.get(f"/reviews/{review.id}?lang=zh").get_data(as_text=True)
    english = client.get(f"/reviews/{review.id}?lang=en").get_data(as_text=True)

    assert basis["zh"] in chinese and basis["en"] not in chinese
    assert basis["en"] in english and basis["zh"] not in english


def test_a_decided_review_reads_without_forms(client, world):
    review = latest_review(approved(world.broker_a, world.reviewer))
    _sign_in(client, world.reviewer.email)

    response = client.get(f"/reviews/{review.id}?lang=en")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "item-form" not in html and 'id="decision"' not in html
    assert html.count("Recorded decision:") == sum(item.applicable for item in review.items)
