"""Payments behind one interface: offline settlement (the embedded default) and Stripe PaymentIntents."""
