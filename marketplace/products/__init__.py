"""Data products and their versions: drafts, field dictionaries, samples and evidence."""
