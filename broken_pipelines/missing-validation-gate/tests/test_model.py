import numpy as np

from credit_risk.config import FEATURES, LABEL
from credit_risk.model import build_model


def test_the_model_scores_warehouse_rows_including_unknown_employment(last_week):
    rows = last_week.head(1000)
    model = build_model().fit(rows[FEATURES], rows[LABEL])
    unknown = rows[FEATURES].head(20).assign(employment_years=np.nan)
    probabilities = model.predict_proba(unknown)[:, 1]
    assert probabilities.shape == (20,)
    assert np.isfinite(probabilities).all() and ((probabilities > 0) & (probabilities < 1)).all()
