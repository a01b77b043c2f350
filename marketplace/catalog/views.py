"""HTML views of the catalog: search with facets, a listing's page with its offers, the broker's offers form,
moderation forms, and the listing panel on the broker's product page."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from marshmallow import ValidationError

from marketplace import httpcache, policy, ui
from marketplace.catalog import dcat, search, services
from marketplace.catalog.api import search_query
from marketplace.catalog.index import FACETS
from marketplace.catalog.schemas import FILTERS, ListingCreateSchema, ListingModerationSchema, ListingQuerySchema
from marketplace.errors import Conflict, InvalidTransition, ValidationFailed

blueprint = Blueprint("catalog", __name__)

SEARCH_ARGS = ("q", *FILTERS, "sort", "page", "per_page")
BLANK_OFFER_ROWS = 2
OFFER_FIELDS = ("name", "name_en", "pricing_mode", "billing_period", "price", "currency", "term_months", "licence",
                "usage_scope")
# Typed fields that make an offer row count; a row with none of them is an unused blank row.
OFFER_CONTENT = ("name", "name_en", "price", "term_months", "licence", "usage_scope")
# Row indexes are small ASCII numbers: a 5,000-digit one would overflow int()'s digit limit.
OFFER_KEY = re.compile(r"^offers-([0-9]{1,6})-(\w+)$")
MODERATION = {"suspend": services.suspend_listing, "relist": services.relist_listing,
              "delist": services.delist_listing}


def _actor():
    return current_user._get_current_object()


# Search ---------------------------------------------------------------------------------------------------------

def _search_args(args) -> dict:
    raw = {name: value.strip() for name, value in args.items() if name in SEARCH_ARGS and value.strip()}
    raw.setdefault("per_page", str(current_app.config["MARKETPLACE_CATALOG_PAGE_SIZE"]))
    try:
        return ListingQuerySchema().load(raw)
    except ValidationError as exc:
        raise ValidationFailed(_("The search is not valid."), errors=exc.messages) from None


def _state(args: dict) -> dict:
    """The search as URL parameters (page left out: changing the search starts again at page 1)."""
    state = {name: args[name] for name in ("q", *FILTERS, "sort") if args.get(name)}
    if args["per_page"] != current_app.config["MARKETPLACE_CATALOG_PAGE_SIZE"]:
        state["per_page"] = args["per_page"]
    return state


def _url(state: dict, **changes) -> str:
    merged = {**state, **changes}
    return url_for("catalog.home", **{name: value for name, value in merged.items() if value not in (None, "")})


def _facets(found: search.Page, state: dict, providers: dict) -> list[dict]:
    """Each facet's values with counts; a value's link sets that filter, the chosen one's link removes it."""
    shown = []
    for facet in FACETS:
        values = list(found.facets.get(facet, []))
        chosen = state.get(facet)
        if chosen and chosen not in {value for value, _n in values}:
            values.append((chosen, 0))
        shown.append({"name": facet, "title": ui.facet_title(facet), "values": [
            {"value": value, "label": ui.facet_label(facet, value, providers), "count": n,
             "current": value == chosen, "href": _url(state, **{facet: None if value == chosen else value})}
            for value, n in values]})
    return shown


def _pages(found: search.Page, state: dict) -> dict:
    last = max(1, -(-found.total // found.per_page))
    if not found.exact:  # only the examined matches can be paged through
        last = min(last, max(1, current_app.config["MARKETPLACE_SEARCH_CANDIDATES"] // found.per_page))
    near = sorted({1, last, *range(max(1, found.page - 2), min(last, found.page + 2) + 1)})
    numbers, previous = [], 0
    for number in near:
        if number - previous > 1:
            numbers.append(None)  # a gap
        numbers.append(number)
        previous = number
    return {"last": last, "numbers": [(n, _url(state, page=n) if n else None) for n in numbers],
            "prev": _url(state, page=found.page - 1) if found.page > 1 else None,
            "next": _url(state, page=found.page + 1) if found.page < last else None}


def _tabs(found: search.Page, state: dict) -> list[dict]:
    """All venues, then the main catalog and each sector zone, with how many results each holds."""
    counts = dict(found.facets.get("venue", []))
    tabs = [{"label": _("All venues"), "href": _url(state, venue=None), "current": not state.get("venue"),
             "count": None}]
    return tabs + [{"label": ui.venue_label(venue), "href": _url(state, venue=venue),
                    "current": state.get("venue") == venue, "count": counts.get(venue, 0)}
                   for venue in services.venues()]


def _chosen(state: dict, providers: dict) -> list[dict]:
    return [{"title": ui.facet_title(facet), "label": ui.facet_label(facet, state[facet], providers),
             "href": _url(state, **{facet: None})} for facet in FACETS if state.get(facet)]


@blueprint.route("/")
@httpcache.public(stamp=services.catalog_modified_at)
def home():
    args = _search_args(request.args)
    found = search.search_listings(search_query(args))
    state = _state(args)
    providers = services.provider_names([value for value, _n in found.facets.get("provider", [])]
                                        + [state.get("provider", "")])
    return render_template("catalog/home.html", found=found, state=state, tabs=_tabs(found, state),
                           chosen=_chosen(state, providers), facets=_facets(found, state, providers),
                           pages=_pages(found, state), sorts=search.SORTS,
                           clear_url=_url({"q": state.get("q"), "sort": state.get("sort")}))


# A listing's page and its moderation ----------------------------------------------------------------------------

def _render_listing(listing, status: int = 200, **extra):
    user = _actor()
    jsonld = dcat.listing_document(listing) if listing.is_listed else None
    return render_template("catalog/listing.html", listing=listing, version=listing.version, jsonld=jsonld,
                           moderate=policy.allowed(policy.can_moderate_listing, user, listing),
                           delist=policy.allowed(policy.can_delist_listing, user, listing),
                           owner=policy.allowed(policy.can_list_product, user, listing.product), **extra), status


@blueprint.route("/listings/<int:product_id>")
@httpcache.public(stamp=services.catalog_modified_at)
def listing(product_id: int):
    shown = services.shown_listing(product_id, actor=_actor())
    httpcache.modified(shown.updated_at)
    return _render_listing(shown)


@blueprint.route("/listings/<int:product_id>/<any(suspend, relist, delist):action>", methods=["POST"])
@login_required
def moderate_listing(product_id: int, action: str):
    try:
        data = ListingModerationSchema().load({"reason": request.form.get("reason", "").strip(),
                                               "lock_version": request.form.get("lock_version") or None})
        changed = MODERATION[action](product_id, actor=_actor(), **data)
    except ValidationError as exc:
        listing = services.shown_listing(product_id, actor=_actor())
        return _render_listing(listing, 422, moderation_action=action, moderation_errors=exc.messages)
    except (ValidationFailed, InvalidTransition, Conflict) as exc:
        listing = services.shown_listing(product_id, actor=_actor())
        return _render_listing(listing, exc.status, moderation_action=action, moderation_error=exc.detail,
                               moderation_errors=exc.errors)
    flash(_("The listing is now %(state)s.", state=ui.state_label(changed.state)), "success")
    if changed.state == "delisted":
        return redirect(url_for("products.product_detail", product_id=product_id, _anchor="listing"))
    return redirect(url_for("catalog.listing", product_id=product_id))


# The broker's offers form ---------------------------------------------------------------------------------------

def _offer_rows(form) -> list[dict]:
    """The offer rows of the form, in order, blank rows dropped; each row's fields as typed."""
    # A multipart part without a name comes through with the key None.
    indexes = sorted({int(match.group(1)) for key in form if (match := OFFER_KEY.match(key or ""))})
    rows = []
    for index in indexes:
        row = {name: form.get(f"offers-{index}-{name}", "").strip() for name in OFFER_FIELDS}
        row["instant"] = f"offers-{index}-instant" in form
        if any(row[name] for name in OFFER_CONTENT):
            rows.append(row)
    return rows


def form_to_listing(form) -> tuple[dict, list[dict], dict[int, dict]]:
    """The offers form as ListingCreateSchema loads it, the rows to show again, and the form's errors by row."""
    rows, row_errors = _offer_rows(form), {}
    offers = []
    for index, row in enumerate(rows):
        offer = {name: row[name] for name in ("name", "name_en", "pricing_mode", "billing_period", "licence",
                                              "usage_scope")}
        offer.update(currency=row["currency"] or "CNY", term_months=row["term_months"] or None,
                     instant=row["instant"])
        if offer["pricing_mode"] != "subscription" and offer["pricing_mode"]:
            offer["billing_period"] = ""  # the period select keeps its value when the mode changes
        try:
            offer["price_minor"] = ui.parse_money(row["price"], offer["currency"])
        except ValueError as exc:
            row_errors[index] = {"price": [str(exc)]}
        if not row["name"]:
            row_errors.setdefault(index, {})["name"] = [_("Give the offer a name.")]
        offers.append(offer)
    data = {"venue": form.get("venue", "main").strip() or "main", "offers": offers,
            "lock_version": form.get("lock_version", "").strip() or None}
    return data, rows, row_errors


def _load_listing(data: dict, form_errors: dict[int, dict]) -> dict:
    """ListingCreateSchema over the form's data; the form's own messages (price, name) win for their fields."""
    try:
        loaded, messages = ListingCreateSchema().load(data), {}
    except ValidationError as exc:
        loaded, messages = None, dict(exc.messages)
    if form_errors:
        offers = messages.get("offers") if isinstance(messages.get("offers"), dict) else {}
        for index, fields in form_errors.items():
            offers[index] = {**offers.get(index, {}), **fields}
        messages["offers"] = offers
    if messages:
        raise ValidationError(messages)
    return loaded


def _rows_of(listing) -> list[dict]:
    if listing is None:
        return []
    return [{"name": offer.name, "name_en": offer.name_en, "pricing_mode": offer.pricing_mode,
             "billing_period": offer.billing_period, "price": ui.money_input(offer.price_minor, offer.currency),
             "currency": offer.currency, "term_months": offer.term_months or "", "licence": offer.licence,
             "usage_scope": offer.usage_scope, "instant": offer.instant} for offer in listing.offers]


def _split_errors(errors: dict | None) -> tuple[dict[int, dict], dict]:
    """Schema and service errors as (row index -> field -> messages, the rest by field)."""
    rows: dict[int, dict] = {}
    rest: dict = {}
    for key, messages in (errors or {}).items():
        if key == "offers" and isinstance(messages, dict):
            for index, fields in messages.items():
                for name, lines in (fields.items() if isinstance(fields, dict) else [("_row", fields)]):
                    rows.setdefault(int(index), {})["price" if name == "price_minor" else name] = lines
        elif isinstance(key, str) and key.startswith("offers.") and key[7:].isdigit():
            rows.setdefault(int(key[7:]), {})["_row"] = messages
        else:
            rest[key] = messages
    return rows, rest


def _render_offers_form(product, listing, rows, status: int = 200, venue=None, error=None, errors=None,
                        row_errors=None):
    version = product.registered
    blank = {"pricing_mode": (version.price_mode if version else "") or "one_off", "currency": "CNY"}
    # Field messages under the input names the template uses ("offers-0-price"), whole-row ones apart.
    fields = dict(errors or {})
    for index, messages in (row_errors or {}).items():
        fields.update({f"offers-{index}-{name}": lines for name, lines in messages.items()})
    return render_template("catalog/offers_form.html", product=product, listing=listing, version=version,
                           rows=rows + [dict(blank) for _i in range(BLANK_OFFER_ROWS)],
                           venue=venue or (listing.venue if listing else "main"), venues=services.venues(),
                           currencies=current_app.config["MARKETPLACE_CURRENCIES"], error=error,
                           errors=fields), status


@blueprint.route("/products/<int:product_id>/listing", methods=["GET", "POST"])
@login_required
def edit_listing(product_id: int):
    product, listing = services.listing_form_of(product_id, actor=_actor())
    if request.method == "GET":
        return _render_offers_form(product, listing, _rows_of(listing))
    data, rows, form_errors = form_to_listing(request.form)
    try:
        saved = services.list_product(product_id, actor=_actor(), **_load_listing(data, form_errors))
    except ValidationError as exc:
        row_errors, errors = _split_errors(exc.messages)
        return _render_offers_form(product, listing, rows, 422, data["venue"], _("Some fields need attention."),
                                   errors, row_errors)
    except (ValidationFailed, Conflict, InvalidTransition) as exc:
        row_errors, errors = _split_errors(exc.errors)
        return _render_offers_form(product, listing, rows, exc.status, data["venue"], exc.detail, errors, row_errors)
    flash(ngettext("Listed in the catalog with %(num)d offer.", "Listed in the catalog with %(num)d offers.",
                   len(saved.offers)) if listing is None else _("Offers saved."), "success")
    return redirect(url_for("catalog.listing", product_id=product_id))


@ui.panel("product")
def _listing_panel(user, product):
    listing = services.listing_status(product.id, actor=user)
    owner = policy.allowed(policy.can_list_product, user, product)
    if listing is None and not owner:
        return None
    return {"template": "catalog/_panel_product_listing.html", "listing": listing, "owner": owner}
