import pytest

from grader.checkout.urls import UrlPolicy, vet
from grader.errors import CheckoutError


@pytest.mark.parametrize(
    "url, kind, display",
    [
        ("https://github.com/acme/credit-risk.git", "https", "https://github.com/acme/credit-risk.git"),
        ("https://alice:s3cret@github.com/acme/x.git", "https", "https://alice:***@github.com/acme/x.git"),
        ("ssh://git@github.com/acme/x.git", "ssh", "ssh://git@github.com/acme/x.git"),
        ("git@github.com:acme/x.git", "ssh", "git@github.com:acme/x.git"),
        ("git://gitlab.com/acme/x.git", "git", "git://gitlab.com/acme/x.git"),
    ],
)
def test_accepted_network_forms(url, kind, display):
    source = vet(url)
    assert (source.kind, source.display, source.protocols) == (kind, display, (kind,))


@pytest.mark.parametrize(
    "url, why",
    [
        ("ext::sh -c touch% /tmp/pwned", "transport::address"),
        ("fd::3", "transport::address"),
        ("--upload-pack=touch /tmp/pwned", "command-line option"),
        ("-oProxyCommand=x", "command-line option"),
        ("https://evil.example/x.git", "not allowed"),
        ("http://github.com/acme/x.git", "plain http"),
        ("ftp://github.com/x", "unsupported scheme"),
        ("https://github.com/x\n--foo", "control characters"),
        (" https://github.com/x", "whitespace"),
        ("", "empty"),
        ("https://github.com/x?y=1", "query"),
        ("user@evil.example:repo.git", "not allowed"),
    ],
)
def test_refused_before_git_runs(url, why):
    with pytest.raises(CheckoutError, match=why):
        vet(url)


def test_hosts_are_configurable():
    policy = UrlPolicy(hosts=("git.internal.example",))
    assert vet("https://git.internal.example/a/b.git", policy).host == "git.internal.example"
    with pytest.raises(CheckoutError, match="not allowed"):
        vet("https://github.com/a/b.git", policy)


def test_local_paths(tmp_path):
    assert vet(str(tmp_path)).kind == "file"
    assert vet(tmp_path.as_uri()).git_url == str(tmp_path)
    with pytest.raises(CheckoutError, match="no such path"):
        vet(str(tmp_path / "missing"))
    with pytest.raises(CheckoutError, match="local paths are not allowed"):
        vet(str(tmp_path), UrlPolicy(allow_local=False))
