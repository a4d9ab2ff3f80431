from credit_risk.promote import main


def test_promoting_the_champion_again_keeps_it(client, champion_version):
    assert main(["--version", champion_version]) == 0

    from credit_risk.registry import champion_version as current

    assert current(client) == champion_version


def test_an_unknown_version_is_not_promoted(client, champion_version):
    try:
        code = main(["--version", "999"])
    except Exception:  # an error is also a refusal
        code = "raised"
    assert code != 0

    from credit_risk.registry import champion_version as current

    assert current(client) == champion_version
