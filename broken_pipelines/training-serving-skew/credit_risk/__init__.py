"""Credit-risk scoring service: training, batch scoring and the online API."""
