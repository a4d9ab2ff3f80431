"""The grading result (`model`) and its renderings for people (`render`)."""
