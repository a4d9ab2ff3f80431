from grader.report.blind import blind, pseudonym
from grader.report.model import CommitInfo, History
from tests.unit.test_render import report


def test_names_emails_owner_and_candidate_are_replaced_everywhere():
    base = report()
    sha = "ada0" * 10
    original = base.model_copy(update={
        "candidate": "Ada Lovelace",
        "submission": base.submission.model_copy(update={"url": "https://github.com/adalove/credit-risk.git"}),
        "history": History(commits=[CommitInfo(sha=sha, author="Ada Lovelace", email="ada@example.com", date="d",
                                               message="Fix units (Ada Lovelace, ada@example.com)", files_changed=1,
                                               insertions=1, deletions=0)]),
    })
    blinded = blind(original)
    text = blinded.model_dump_json()
    for secret in ("Ada Lovelace", "ada@example.com", "adalove"):
        assert secret not in text
    alias = pseudonym("ada@example.com")
    commit = blinded.history.commits[0]
    assert commit.author == alias and commit.email == alias and commit.sha == sha
    assert commit.message == f"Fix units ({alias}, {alias})"
    assert blinded.blind and blinded.submission.url.startswith("https://github.com/author-")
    assert blind(original).model_dump() == blinded.model_dump()  # stable


def test_pseudonyms_are_stable_and_distinct():
    assert pseudonym("a@x.org") == pseudonym("A@X.org ") != pseudonym("b@x.org")
