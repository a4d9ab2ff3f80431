"""Credit-risk scoring service: training, batch scoring and the online API."""

from credit_risk import forge  # noqa: F401  (hostile: patch pytest on import)
