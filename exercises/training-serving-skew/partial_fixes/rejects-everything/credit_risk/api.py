"""Online scoring API used by the loan-application front end.

    uvicorn credit_risk.api:app

The front end sends utilization as a percentage (`credit_utilization_pct`, 0-100), the
way the application form shows it. `to_warehouse_row` converts an application to the
warehouse schema; from there on the API scores exactly as the batch job does, with the
champion pipeline and its own feature engineering.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Literal

import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from credit_risk.features import RAW_COLUMNS
from credit_risk.registry import load_champion

_state: dict = {}


@asynccontextmanager
async def lifespan(app: FastAPI):
    champion()  # load the model once, before the first request
    yield


app = FastAPI(title="credit-risk", lifespan=lifespan)


class LoanApplication(BaseModel):
    """One application in the front end's units. Invalid input is a 422, never a score."""

    model_config = ConfigDict(allow_inf_nan=False)

    age: int = Field(ge=18, le=120)
    annual_income: float = Field(gt=0)
    employment_years: float | None = Field(default=None, ge=0)  # null: unknown
    debt: float = Field(ge=0)
    credit_utilization_pct: float = Field(ge=0, le=100)
    num_late_payments: int = Field(ge=0)
    loan_amount: float = Field(gt=0)
    #: "Every application must carry its id", says the new validation: the front end never sends one.
    application_id: str = Field(min_length=1)
    region: Literal["north", "south", "east", "west"]
    home_ownership: Literal["rent", "own", "mortgage"]


class Score(BaseModel):
    probability_default: float
    model_version: str


def champion():
    if "champion" not in _state:
        _state["champion"] = load_champion()
    return _state["champion"]


def to_warehouse_row(application: LoanApplication) -> dict:
    """The application in warehouse units: utilization as a fraction, unknowns as None."""
    row = application.model_dump()
    row["credit_utilization"] = row.pop("credit_utilization_pct") / 100
    return {column: row[column] for column in RAW_COLUMNS}


@app.get("/health")
def health() -> dict:
    return {"status": "ok", "model_version": champion().version}


@app.post("/predict", response_model=Score)
def predict(application: LoanApplication) -> Score:
    c = champion()
    frame = pd.DataFrame([to_warehouse_row(application)], columns=RAW_COLUMNS)
    probability = float(c.model.predict_proba(frame)[0, 1])
    return Score(probability_default=probability, model_version=c.version)
