"""Notifications: an in-app inbox for every party on every transition, e-mail over SMTP, signed webhooks."""
