"""Production monitoring for the credit-risk service.

`python -m credit_risk.monitoring` is the nightly drift job (see `__main__.py` and the README
for its contract). The scheduler pages the on-call when it exits with code 1.
"""
