"""Feature engineering: warehouse rows in, model features out.

`FeatureBuilder` is the first step of the model pipeline, so the features and the statistics
learned from the training data (the employment median) are saved with the model, and
training and the API featurize with this one implementation.

Input is the warehouse schema (see data/applications.csv): `credit_utilization` is a
fraction between 0 and 1, `employment_years` may be missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

REGIONS = sorted(["north", "south", "east", "west"])
HOME_OWNERSHIP = ["rent", "own", "mortgage"]

#: The warehouse columns the model reads.
RAW_COLUMNS = [
    "age",
    "annual_income",
    "employment_years",
    "debt",
    "credit_utilization",
    "num_late_payments",
    "loan_amount",
    "region",
    "home_ownership",
]

FEATURE_COLUMNS = [
    "age",
    "log_income",
    "debt_to_income",
    "credit_utilization",
    "num_late_payments",
    "employment_years",
    "loan_to_income",
    "home_rent",
    *[f"region_{r}" for r in REGIONS],
]


def fit_feature_config(raw: pd.DataFrame) -> dict:
    """Statistics learned from the training data and needed to build features later."""
    return {
        "employment_years_median": float(raw["employment_years"].astype(float).median()),
        "regions": REGIONS,
        "columns": FEATURE_COLUMNS,
    }


def build_features(raw: pd.DataFrame, config: dict) -> pd.DataFrame:
    # Column by column on numpy arrays: the API calls this for one row per request.
    income = raw["annual_income"].to_numpy(dtype=float)
    # astype(float) first: a one-row frame built from JSON holds None, not NaN.
    employment = raw["employment_years"].astype(float).to_numpy()
    region = raw["region"].to_numpy()
    columns = {
        "age": raw["age"].to_numpy(dtype=float),
        "log_income": np.log(income),
        "debt_to_income": raw["debt"].to_numpy(dtype=float) / income,
        "credit_utilization": raw["credit_utilization"].to_numpy(dtype=float),
        "num_late_payments": raw["num_late_payments"].to_numpy(dtype=float),
        "employment_years": np.where(np.isnan(employment), config["employment_years_median"], employment),
        "loan_to_income": raw["loan_amount"].to_numpy(dtype=float) / income,
        "home_rent": (raw["home_ownership"].to_numpy() == "rent").astype(float),
        **{f"region_{r}": (region == r).astype(float) for r in config["regions"]},
    }
    return pd.DataFrame(columns, index=raw.index)[config["columns"]]


class FeatureBuilder(TransformerMixin, BaseEstimator):
    """Pipeline step: learns the feature config at fit time, builds features at transform."""

    def fit(self, raw: pd.DataFrame, y=None) -> "FeatureBuilder":
        self.config_ = fit_feature_config(raw)
        return self

    def transform(self, raw: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "config_")
        return build_features(raw, self.config_)
