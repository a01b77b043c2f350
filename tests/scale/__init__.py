"""Growing past one machine: load-balanced app servers, RQ workers, the Procfile under honcho."""
