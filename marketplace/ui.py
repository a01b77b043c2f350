"""What the HTML views share: translated state labels, error flattening, and page slots features fill in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from compliance import vocabulary
from marketplace.i18n import lang

# Every state of every lifecycle (organisation, product version, review, notice, objection, certificate,
# and the trading ones to come); one label per code, since a code means the same thing in each table.
STATE_LABELS = {
    "applied": _l("Applied"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "suspended": _l("Suspended"),
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "in_review": _l("In review"),
    "changes_requested": _l("Changes requested"),
    "public_notice": _l("Public notice"),
    "objection": _l("Objection raised"),
    "withdrawn": _l("Withdrawn"),
    "registered": _l("Registered"),
    "superseded": _l("Superseded"),
    "pending": _l("Pending"),
    "reopened": _l("Reopened"),
    "open": _l("Open"),
    "closed": _l("Closed"),
    "upheld": _l("Upheld"),
    "dismissed": _l("Dismissed"),
    "valid": _l("Valid"),
    "cancelled": _l("Cancelled"),
    "revoked": _l("Revoked"),
    "expired": _l("Expired"),
    "listed": _l("Listed"),
    "delisted": _l("Delisted"),
    "declined": _l("Declined"),
    "awaiting_signatures": _l("Awaiting signatures"),
    "awaiting_payment": _l("Awaiting payment"),
    "active": _l("Active"),
    "terminated": _l("Terminated"),
    "requires_payment": _l("Requires payment"),
    "processing": _l("Processing"),
    "succeeded": _l("Succeeded"),
    "failed": _l("Failed"),
    "refunded": _l("Refunded"),
    "requested": _l("Requested"),
    "granted": _l("Granted"),
    "refused": _l("Refused"),
    "queued": _l("Queued"),
    "running": _l("Running"),
    "renewed": _l("Renewed"),
    "issued": _l("Certificate issued"),
}

# The offline checks of a receipt (compliance.receipt.CHECKS); their details stay technical (hashes, key ids).
CHECK_LABELS = {
    "signature": _l("Exchange signature"),
    "entry": _l("Log entry matches the certificate"),
    "status": _l("Status matches the log"),
    "leaf": _l("Leaf hash"),
    "inclusion": _l("Included in the log"),
    "checkpoint": _l("Signed checkpoint"),
}

REGISTRATION_TYPE_LABELS = {
    "first": _l("First registration"),
    "change": _l("Change registration"),
    "renewal": _l("Renewal"),
}

# Outcomes of automatic checks and reviewers' item decisions.
OUTCOME_LABELS = {
    "pass": _l("Pass"),
    "fail": _l("Fail"),
    "warn": _l("Warning"),
    "not_applicable": _l("Not applicable"),
    None: _l("Reviewer decides"),
}

ROLE_LABELS = {
    "broker": _l("Data broker"),
    "buyer": _l("Buyer"),
    "reviewer": _l("Compliance reviewer"),
    "admin": _l("Exchange admin"),
    "finance": _l("Finance"),
    "subject": _l("Data subject"),
}

KIND_LABELS = {
    "provider": _l("Data provider"),
    "buyer": _l("Buyer"),
    "reviewer": _l("Reviewing body (e.g. law firm)"),
    "exchange": _l("Exchange"),
    "auto": _l("Automatic"),
    "mixed": _l("System flags, reviewer decides"),
    "human": _l("Reviewer decides"),
}


def state_label(state) -> str:
    return str(STATE_LABELS.get(str(state), str(state).replace("_", " ")))


def check_label(name) -> str:
    return str(CHECK_LABELS.get(name, name))


def registration_type_label(kind) -> str:
    return str(REGISTRATION_TYPE_LABELS.get(kind, kind))


def outcome_label(outcome) -> str:
    label = OUTCOME_LABELS.get(outcome)
    return str(label) if label is not None else str(outcome)


def role_label(role) -> str:
    return str(ROLE_LABELS.get(str(role), role))


def kind_label(kind) -> str:
    return str(KIND_LABELS.get(str(kind), kind))


def error_list(messages) -> list[str]:
    """Flatten marshmallow/domain error messages (lists, nested dicts by row) into lines to show."""
    if messages is None:
        return []
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, dict):
        lines = []
        for key, value in messages.items():
            prefix = f"{int(key) + 1}: " if isinstance(key, int) else (f"{key}: " if key != "_schema" else "")
            lines.extend(prefix + line for line in error_list(value))
        return lines
    return [line for value in messages for line in error_list(value)]


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else ""


# Money: integer minor units with a currency, shown with the currency's sign and its ISO 4217 decimals.
CURRENCY_SIGNS = {"CNY": "¥", "HKD": "HK$", "MOP": "MOP$", "USD": "US$", "EUR": "€"}

BILLING_PERIOD_LABELS = {"month": _l("Per month"), "year": _l("Per year")}

FACET_TITLES = {
    "venue": _l("Venue"),
    "sector": _l("Sector"),
    "product_type": _l("Product type"),
    "delivery": _l("Delivery mode"),
    "pricing": _l("Pricing"),
    "security_level": _l("Security level"),
    "region": _l("Region"),
    "provider": _l("Provider"),
}

# Facets whose values are codes of a vocabulary; region is shown as given, providers and venues by name.
FACET_VOCABULARIES = {
    "sector": vocabulary.SECTORS, "product_type": vocabulary.PRODUCT_TYPES, "delivery": vocabulary.DELIVERY_MODES,
    "pricing": vocabulary.PRICE_MODES, "security_level": vocabulary.SECURITY_LEVELS,
}


def minor_digits(currency: str) -> int:
    return get_currency_precision(currency or "CNY")


def money(minor: int | None, currency: str = "CNY") -> str:
    """12000050 CNY -> "¥120,000.50": exact (Decimal, never float), the same in both languages."""
    if minor is None:
        return ""
    digits = minor_digits(currency)
    amount = Decimal(int(minor)).scaleb(-digits)
    sign = CURRENCY_SIGNS.get(currency)
    number = f"{amount:,.{digits}f}"
    return f"{sign}{number}" if sign else f"{number} {currency}"


def money_input(minor: int | None, currency: str = "CNY") -> str:
    """Minor units as the plain decimal a price field holds: 1200050 -> "12000.50"."""
    if minor is None:
        return ""
    digits = minor_digits(currency)
    return f"{Decimal(int(minor)).scaleb(-digits):.{digits}f}"


def parse_money(text: str, currency: str = "CNY") -> int | None:
    """A price typed in major units ("12000.50", "12,000") as integer minor units, exactly; blank -> None.

    Raises ValueError with a message to show when it is not a plain non-negative amount or has more
    decimals than the currency has minor units (1.005 yuan is not a price)."""
    cleaned = (text or "").strip().replace(",", "").replace(" ", "")
    if not cleaned:
        return None
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(_("Enter an amount such as 12000.50.")) from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(_("Enter an amount such as 12000.50."))
    digits = minor_digits(currency)
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValueError(_("At most %(n)d decimal places.", n=digits))
    return int(minor)


def pricing_label(mode: str) -> str:
    return vocabulary.label(vocabulary.PRICE_MODES, mode, lang())


def billing_period_label(period: str) -> str:
    return str(BILLING_PERIOD_LABELS.get(period, period))


def offer_price(offer) -> str:
    """What an offer costs, as a buyer reads it: "¥12,000.00 / 年", "¥0.50 / 次", "免费", "面议"."""
    if offer.pricing_mode == "free":
        return pricing_label("free")
    if offer.price_minor is None:
        return pricing_label("negotiable")
    price = money(offer.price_minor, offer.currency)
    if offer.pricing_mode == "subscription" and offer.billing_period == "year":
        return _("%(price)s / year", price=price)
    if offer.pricing_mode == "subscription" and offer.billing_period == "month":
        return _("%(price)s / month", price=price)
    if offer.pricing_mode == "per_call":
        return _("%(price)s / call", price=price)
    return price


def cheapest_offer(offers: Iterable):
    """The offer a result card shows: the lowest list price; a negotiable one only when nothing has a price."""
    offers = list(offers)
    priced = [offer for offer in offers if offer.price_minor is not None]
    if priced:
        return min(priced, key=lambda offer: (offer.price_minor, offer.position))
    return offers[0] if offers else None


def venue_label(venue: str) -> str:
    """ "main" is the main catalog; a zone is named after its sector ("金融专区", "Finance zone")."""
    if venue == "main":
        return _("Main catalog")
    return _("%(sector)s zone", sector=vocabulary.label(vocabulary.SECTORS, venue, lang()))


def facet_title(facet: str) -> str:
    return str(FACET_TITLES.get(facet, facet))


def facet_label(facet: str, value: str, providers: dict | None = None) -> str:
    """A facet value as shown: vocabulary label, venue or provider name; regions as given."""
    if facet in FACET_VOCABULARIES:
        return vocabulary.label(FACET_VOCABULARIES[facet], value, lang())
    if facet == "venue":
        return venue_label(value)
    if facet == "provider":
        names = (providers or {}).get(value)
        return (names.get(lang()) or names.get("zh") or value) if names else value
    return value


TEMPLATE_HELPERS = {
    "state_label": state_label, "outcome_label": outcome_label, "role_label": role_label,
    "kind_label": kind_label, "error_list": error_list, "when": when, "day": day,
    "registration_type_label": registration_type_label, "check_label": check_label,
    "money": money, "offer_price": offer_price, "cheapest_offer": cheapest_offer, "venue_label": venue_label,
    "pricing_label": pricing_label, "billing_period_label": billing_period_label, "facet_title": facet_title,
    "facet_label": facet_label,
}

# Page slots: a higher feature adds a panel to a lower feature's page without the lower one importing it
# (the dashboard lives in accounts, the review queue in registration). A provider returns a dict with a
# "template" key and its data, or None when it has nothing for this user.
_slots: dict[str, list[Callable]] = defaultdict(list)


def panel(slot: str) -> Callable[[Callable], Callable]:
    def register(provider: Callable) -> Callable:
        if provider not in _slots[slot]:
            _slots[slot].append(provider)
        return provider
    return register


def panels(slot: str, *args) -> list[dict]:
    found = (provider(*args) for provider in _slots[slot])
    return [item for item in found if item]
