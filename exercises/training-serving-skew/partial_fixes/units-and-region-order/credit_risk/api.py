"""Online scoring API used by the loan-application front end.

    uvicorn credit_risk.api:app

The front end sends utilization as a percentage (`credit_utilization_pct`, 0-100), the
way the application form shows it.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel, Field

from credit_risk.registry import load_champion

_state: dict = {}


@asynccontextmanager
async def lifespan(app: FastAPI):
    champion()  # load the model once, before the first request
    yield


app = FastAPI(title="credit-risk", lifespan=lifespan)


class LoanApplication(BaseModel):
    age: int
    annual_income: float
    employment_years: float | None = None
    debt: float
    credit_utilization_pct: float = Field(ge=0, le=100)
    num_late_payments: int
    loan_amount: float
    region: str
    home_ownership: str


class Score(BaseModel):
    probability_default: float
    model_version: str


def champion():
    if "champion" not in _state:
        _state["champion"] = load_champion()
    return _state["champion"]


def _to_vector(a: LoanApplication) -> np.ndarray:
    # Hand-rolled for latency: pandas is too slow on the request path.
    regions = ["east", "north", "south", "west"]  # same order as training (sorted)
    return np.array(
        [
            [
                float(a.age),
                np.log(a.annual_income),
                a.debt / a.annual_income,
                a.credit_utilization_pct / 100,  # the model was trained on a fraction
                float(a.num_late_payments),
                a.employment_years if a.employment_years is not None else 0.0,
                a.loan_amount / a.annual_income,
                1.0 if a.home_ownership == "rent" else 0.0,
                *[1.0 if a.region == r else 0.0 for r in regions],
            ]
        ]
    )


@app.get("/health")
def health() -> dict:
    return {"status": "ok", "model_version": champion().version}


@app.post("/predict", response_model=Score)
def predict(application: LoanApplication) -> Score:
    c = champion()
    probability = float(c.model.predict_proba(_to_vector(application))[0, 1])
    return Score(probability_default=probability, model_version=c.version)
