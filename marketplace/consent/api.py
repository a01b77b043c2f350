"""JSON API of consent: the bank asks, the data subject grants, refuses or withdraws; certificates are public."""

from __future__ import annotations

from flask_smorest import Blueprint

from marketplace import httpcache
from marketplace.accounts.guard import api_actor
from marketplace.consent import services
from marketplace.consent.schemas import (
    ConsentRequestInSchema,
    ConsentSchema,
    GrantSchema,
    PersonalCertificateSchema,
)

requests_blueprint = Blueprint("consent_requests_api", __name__, url_prefix="/consent-requests",
                               description="A bank asks a data subject for separate consent under its contract")
consents_blueprint = Blueprint("consents_api", __name__, url_prefix="/consents",
                               description="Data subjects read, grant, refuse and withdraw their consents")
certificates_blueprint = Blueprint("personal_certificates_api", __name__, url_prefix="/personal-certificates",
                                   description="Personal data certificates, public and verifiable offline")
TRADING = [{"oauth2": ["trading"]}, {"session": []}]
CONSENTS = [{"oauth2": ["consents"]}, {"session": []}]


@requests_blueprint.route("", methods=["POST"])
@requests_blueprint.doc(security=TRADING)
@requests_blueprint.arguments(ConsentRequestInSchema)
@requests_blueprint.response(201, ConsentSchema)
def request_consent(data):
    """Ask the person with this identity number; they read the returned notice on their page."""
    return services.request_consent(actor=api_actor("trading"), **data)


@consents_blueprint.route("", methods=["GET"])
@consents_blueprint.doc(security=CONSENTS)
@consents_blueprint.response(200, ConsentSchema(many=True))
def list_consents():
    """Your consents, newest first (data subjects)."""
    return services.consents_of_subject(actor=api_actor("consents"))


@consents_blueprint.route("/<int:consent_id>", methods=["GET"])
@consents_blueprint.doc(security=CONSENTS)
@consents_blueprint.response(200, ConsentSchema)
def get_consent(consent_id):
    """One consent with its exact notice (the subject; the asking bank reads it with a `trading` token)."""
    return services.get_consent(consent_id, actor=api_actor(None))


@consents_blueprint.route("/<int:consent_id>/grant", methods=["POST"])
@consents_blueprint.doc(security=CONSENTS)
@consents_blueprint.arguments(GrantSchema)
@consents_blueprint.response(200, ConsentSchema)
def grant(data, consent_id):
    """Grant, sending the hash of the notice you read (409 when it is not the one on record)."""
    return services.grant(consent_id, actor=api_actor("consents"), **data)


@consents_blueprint.route("/<int:consent_id>/refuse", methods=["POST"])
@consents_blueprint.doc(security=CONSENTS)
@consents_blueprint.response(200, ConsentSchema)
def refuse(consent_id):
    return services.refuse(consent_id, actor=api_actor("consents"))


@consents_blueprint.route("/<int:consent_id>/withdraw", methods=["POST"])
@consents_blueprint.doc(security=CONSENTS)
@consents_blueprint.response(200, ConsentSchema)
def withdraw(consent_id):
    """Withdraw: the next read is refused and the bank must erase what it received."""
    return services.withdraw(consent_id, actor=api_actor("consents"))


@certificates_blueprint.route("/<number>", methods=["GET"])
@httpcache.public
@certificates_blueprint.response(200, PersonalCertificateSchema)
def get_certificate(number):
    """A personal data certificate (public): the document, its Ed25519 signature and key id, and its status now."""
    return services.certificate_by_number(number)
