"""The trusted verifier: hidden checks run in a separate pytest process the grader starts.

`run.verify` starts it with the grader's plugin (`plugin.py`), plugin autoload off, no
candidate file on its path, and reads the outcomes it records. Hidden checks drive the
candidate's code only through the `sandbox` fixture; `toolkit` has what they share.
"""
