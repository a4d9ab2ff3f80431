"""Credit-risk scoring service: training and the online scoring API."""
