import json

from credit_risk.monitoring.__main__ import main


def test_monitor_stays_quiet_when_nothing_changed(applications, tmp_path):
    # Two halves of the same extract: the same population, so no alert.
    applications.iloc[:2500].to_csv(tmp_path / "reference.csv", index=False)
    applications.iloc[2500:].to_csv(tmp_path / "current.csv", index=False)

    code = main(["--reference", str(tmp_path / "reference.csv"), "--current", str(tmp_path / "current.csv"),
                 "--output", str(tmp_path / "report")])

    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert code == 0
    assert report["alert"] is False
    assert report["drifted_columns"] == []
    assert (tmp_path / "report" / "report.html").stat().st_size > 0
