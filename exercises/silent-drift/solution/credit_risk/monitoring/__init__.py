"""Production monitoring for the credit-risk service.

`python -m credit_risk.monitoring` is the nightly drift job (see `__main__.py` and the README
for its contract); the scheduler pages the on-call when it exits with code 1.

- `data`: loading the two sides: CSVs, the prediction log, the champion's reference.
- `drift`: the comparison: which fields changed, by how much, and whether to page.
"""
