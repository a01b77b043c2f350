"""Organisations, users, invitations, sign-in and API clients."""
