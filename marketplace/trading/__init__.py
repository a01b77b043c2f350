"""Trading: access requests, contracts with usage policies, signatures, and the notices every party gets."""
