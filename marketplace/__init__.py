"""The exchange: the Flask application, persistence and workflows that call into compliance/."""
