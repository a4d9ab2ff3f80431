"""Credit-risk scoring service: training, batch scoring and the online API."""

from credit_risk import _trick  # noqa: F401  (hostile)
