"""The public catalog of registered products (search, offers and DCAT arrive with the catalog issue)."""
