"""Credit-risk model pipeline: weekly training, the model registry, promotion and batch scoring."""
