"""Online scoring API used by the loan-application front end.

    gunicorn -c gunicorn.conf.py credit_risk.api:app

Every request is scored by the registry's *current* champion, so that a promotion goes live
at once, without a redeploy (see the README's history: INC-2291).
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from credit_risk.features import RAW_COLUMNS
from credit_risk.monitoring import record_prediction
from credit_risk.registry import champion_version, load_champion

app = FastAPI(title="credit-risk")


class LoanApplication(BaseModel):
    """One application in warehouse units. Invalid input is a 422, never a score."""

    model_config = ConfigDict(allow_inf_nan=False)

    age: int = Field(ge=18, le=120)
    annual_income: float = Field(gt=0)
    employment_years: float | None = Field(default=None, ge=0)  # null: unknown
    debt: float = Field(ge=0)
    credit_utilization: float = Field(ge=0, le=1)
    num_late_payments: int = Field(ge=0)
    loan_amount: float = Field(gt=0)
    region: Literal["north", "south", "east", "west"]
    home_ownership: Literal["rent", "own", "mortgage"]


class Score(BaseModel):
    probability_default: float
    model_version: str


@app.get("/health")
def health() -> dict:
    return {"status": "ok", "model_version": champion_version()}


@app.post("/predict", response_model=Score)
def predict(application: LoanApplication) -> Score:
    # Never a stale model again (INC-2291): ask the registry for the champion on every request.
    champion = load_champion()
    row = application.model_dump()
    frame = pd.DataFrame([row], columns=RAW_COLUMNS)
    probability = float(champion.model.predict(frame)[0, 1])
    record_prediction(row, probability, champion.version)
    return Score(probability_default=probability, model_version=champion.version)
