"""Framework-free compliance rules: vocabularies, validators, PI scanning, samples and the checklist."""
