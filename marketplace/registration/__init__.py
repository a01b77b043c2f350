"""Compliance review, public notice, objections and registration certificates."""
