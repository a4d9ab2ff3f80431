"""The credit-risk model: one scikit-learn pipeline from warehouse rows to P(default).

Since v5 the model is a logistic regression with pairwise interactions, so that every
region gets its own slopes (Risk prices each region separately). Preprocessing lives inside
the pipeline: whoever loads a version feeds it warehouse columns, nothing else.
"""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler

NUMERIC = ["age", "annual_income", "employment_years", "debt", "credit_utilization", "num_late_payments", "loan_amount"]
CATEGORICAL = ["region", "home_ownership"]


def build_model() -> Pipeline:
    prepare = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL),
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), NUMERIC),
        ]
    )
    return Pipeline(
        [
            ("prepare", prepare),
            ("interactions", PolynomialFeatures(2, interaction_only=True, include_bias=False)),
            ("classifier", LogisticRegression(max_iter=2000)),
        ]
    )
