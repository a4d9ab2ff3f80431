import numpy as np

from credit_risk.features import FEATURE_COLUMNS, build_features, fit_feature_config


def test_features_are_complete_and_finite(applications):
    config = fit_feature_config(applications)
    features = build_features(applications, config)
    assert list(features.columns) == FEATURE_COLUMNS
    assert len(features) == len(applications)
    assert np.isfinite(features.to_numpy()).all()


def test_every_application_has_exactly_one_region(applications):
    features = build_features(applications, fit_feature_config(applications))
    regions = features[[c for c in FEATURE_COLUMNS if c.startswith("region_")]]
    assert (regions.sum(axis=1) == 1).all()
