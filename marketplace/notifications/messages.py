"""The sentence each event shows in the inbox and in e-mails, translated, with its parameters filled in."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from marketplace.i18n import pick

MESSAGES = {
    "access_request.submit": _l("%(buyer)s requested access to %(product)s (request %(number)s)."),
    "access_request.approve": _l("Access request %(number)s for %(product)s was approved."),
    "access_request.decline": _l("Access request %(number)s for %(product)s was declined: %(reason)s"),
    "access_request.withdraw": _l("%(buyer)s withdrew access request %(number)s for %(product)s."),
    "access_request.resubmit": _l("%(buyer)s sent access request %(number)s for %(product)s again."),
    "access_request.expire": _l("Access request %(number)s for %(product)s expired without a decision."),
    "contract.generate": _l("Contract %(number)s for %(product)s is ready to be signed."),
    "contract.sign": _l("%(signer)s signed contract %(number)s for %(product)s."),
    "contract.countersign": _l("The exchange countersigned contract %(number)s for %(product)s."),
    "contract.activate": _l("Contract %(number)s for %(product)s is now active."),
    "contract.expire": _l("Contract %(number)s for %(product)s has expired."),
    "contract.terminate": _l("Contract %(number)s for %(product)s was terminated: %(reason)s"),
    "payment.create": _l("A payment of %(amount)s for contract %(number)s is due (reference %(reference)s)."),
    "payment.process": _l("The payment of %(amount)s for contract %(number)s is being processed."),
    "payment.succeed": _l("The payment of %(amount)s for contract %(number)s has been received."),
    "payment.fail": _l("The payment of %(amount)s for contract %(number)s failed: %(reason)s"),
    "payment.refund": _l("The payment of %(amount)s for contract %(number)s was refunded."),
    "release.revoke": _l("Release %(number)s of %(product)s was revoked and can no longer be downloaded: %(reason)s"),
    "consent.request": _l("Consent asked of %(person)s under contract %(contract)s (%(number)s)."),
    "consent.grant": _l("%(person)s granted consent %(number)s under contract %(contract)s."),
    "consent.refuse": _l("%(person)s refused consent under contract %(contract)s."),
    "consent.withdraw": _l("%(person)s withdrew consent %(number)s under contract %(contract)s: read nothing more "
                           "and delete what you received by %(erasure_due)s."),
    "consent.expire": _l("Consent %(number)s of %(person)s under contract %(contract)s has expired (%(reason)s)."),
}
FALLBACK = _l("%(object_type)s %(object_id)s: %(event)s.")
OPEN_INBOX = _l("Your inbox: %(url)s")


class _Params(dict):
    """A parameter the sender did not give shows as a dash instead of breaking the sentence."""

    def __missing__(self, key):
        return "—"


def render(event: str, params: dict | None, *, object_type: str = "", object_id: int | None = None) -> str:
    """The event's sentence in the current locale; {"zh": …, "en": …} parameters give the matching language."""
    values = _Params({key: pick(value) if isinstance(value, dict) else ("—" if value in (None, "") else value)
                      for key, value in (params or {}).items()})
    message = MESSAGES.get(event)
    if message is None:
        values.update(object_type=object_type.replace("_", " "), object_id=object_id, event=event)
        message = FALLBACK
    # Translated without parameters first, so the dash-filling mapping does the formatting.
    return str(message) % values


def both_languages(event: str, params: dict | None, *, object_type: str = "", object_id: int | None = None) -> dict:
    """The sentence in Chinese and English, for webhooks and e-mails (a recipient's language is not stored)."""
    text = {}
    for code, locale in (("zh", "zh_CN"), ("en", "en")):
        with force_locale(locale):
            text[code] = render(event, params, object_type=object_type, object_id=object_id)
    return text
