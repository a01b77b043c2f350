"""Delivery: data reaches a buyer only under a live contract (files, consent-gated records, k-threshold aggregates)."""
