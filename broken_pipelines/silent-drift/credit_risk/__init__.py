"""Credit-risk scoring service: training, the online API and production monitoring."""
