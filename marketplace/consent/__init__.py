"""Consent: a data subject's separate, withdrawable consent naming the bank that may read their record."""
