"""mlops-grader: hands-on MLOps take-home assessments.

Packages, one responsibility each:
  checkout/  fetch a submission safely and export its tree
  sandbox/   run untrusted candidate code (local bubblewrap or Docker)
  verify/    the trusted pytest process that runs an exercise's hidden checks
  report/    the result model and its renderings (json, md, html)
  worlds/    synthetic data the exercises are built on
Modules: catalog (exercise specs), grade (the `score` pipeline), scoring, history,
publish, calibrate (`validate`), cli.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mlops-grader")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"
