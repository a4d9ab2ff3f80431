"""Online scoring API used by the loan-application front end.

    gunicorn -c gunicorn.conf.py credit_risk.api:app

Each worker loads the champion once, at start-up, before it accepts traffic: `/health`
answers only once the model is in memory, and it reports the version being served. A new
champion goes live with the rollout restart that follows every promotion (see the README).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Literal

import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from credit_risk.features import RAW_COLUMNS
from credit_risk.prediction_log import record_prediction
from credit_risk.registry import Champion, load_champion

_state: dict[str, Champion] = {}


@asynccontextmanager
async def lifespan(app: FastAPI):
    _state["champion"] = load_champion()  # once per worker, before the first request
    yield


app = FastAPI(title="credit-risk", lifespan=lifespan)


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


def champion() -> Champion:
    return _state["champion"]


@app.get("/health")
def health() -> dict:
    return {"status": "ok", "model_version": champion().version}


@app.post("/predict", response_model=Score)
def predict(application: LoanApplication) -> Score:
    c = champion()
    row = application.model_dump()
    frame = pd.DataFrame([row], columns=RAW_COLUMNS)
    probability = float(c.model.predict(frame)[0, 1])
    record_prediction(row, probability, c.version)
    return Score(probability_default=probability, model_version=c.version)
