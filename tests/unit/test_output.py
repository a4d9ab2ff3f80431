import io

from grader.sandbox.output import CappedLog, tail_text


def test_capped_log_keeps_head_and_tail(tmp_path):
    log = CappedLog(tmp_path / "log", limit_bytes=100)
    log.pump(io.BytesIO(b"H" * 50 + b"m" * 1000 + b"T" * 50))
    log.close()
    text = (tmp_path / "log").read_text()
    assert text.startswith("H" * 50) and text.endswith("T" * 50)
    assert "1000 bytes of output dropped" in text and log.truncated


def test_small_output_is_kept_whole(tmp_path):
    log = CappedLog(tmp_path / "log", limit_bytes=100)
    log.feed(b"line 1\nline 2\n")
    log.close()
    assert (tmp_path / "log").read_text() == "line 1\nline 2\n" and not log.truncated
    assert tail_text(tmp_path / "log", 1) == "line 2"
