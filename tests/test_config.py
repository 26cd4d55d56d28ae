"""Config and rules files: validated at start with readable errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.load import load_settings, parse_settings
from config.rules import load_rules

GOOD = """
[database]
url = "sqlite:///x.db"
[[mailboxes]]
name = "storsthlm"
host = "127.0.0.1"
port = 10143
security = "none"
username = "secretariat1"
password_env = "BUSAVVIK_TEST_PW"
folders = ["INBOX"]
[smtp]
host = "127.0.0.1"
port = 10025
security = "none"
from_address = "BUS-avvikelser@storsthlm.se"
[reminders]
enabled = true
start_date = "2026-01-01"
"""


def test_good_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.toml"
    path.write_text(GOOD)
    monkeypatch.setenv("BUSAVVIK_TEST_PW", "s3cret-value")
    s = load_settings(path, check_secrets=True)
    assert s.mailboxes[0].port == 10143 and s.reminders.enabled and str(s.reminders.start_date) == "2026-01-01"
    assert "s3cret-value" not in repr(s.mailboxes[0].password()) and s.mailboxes[0].password().value == "s3cret-value"
    monkeypatch.setenv("BUSAVVIK_DATABASE_URL", "sqlite:///other.db")
    assert load_settings(path).database_url == "sqlite:///other.db"


@pytest.mark.parametrize("change, message", [
    (("port = 10143", "prot = 10143"), "unknown key(s) prot"),
    (('host = "127.0.0.1"\nport = 10143', 'host = "mail.example.com"\nport = 10143'), "allowed only for a loopback"),
    (('host = "127.0.0.1"\nport = 10143', 'host = "bad host!"\nport = 10143'), "not a valid host"),
    (('start_date = "2026-01-01"', 'start_date = "snart"'), "expected a date"),
    (("enabled = true", 'enabled = "yes"'), "expected true or false"),
    (("[smtp]", "[smpt]"), "unknown table(s) smpt"),
])
def test_bad_config_is_named(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(GOOD.replace(*change, 1))
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(path)


def test_missing_secret_is_reported_without_guessing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE", raising=False)
    data = {"mailboxes": [{"name": "a", "host": "127.0.0.1", "security": "none", "username": "u",
                           "password_env": "NOPE"}]}
    with pytest.raises(ConfigError, match="NOPE is not set"):
        parse_settings(data, check_secrets=True)
    with pytest.raises(ConfigError, match="passwords are not written"):
        parse_settings({"mailboxes": [{"name": "a", "host": "127.0.0.1", "security": "none", "username": "u",
                                       "password": "x"}]})


def test_rules_errors_carry_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[secretariat]\naddresses = ["a@b.se"]\n\n[[themes]]\nname = "X"\npatterns = ["(unclosed"]\n')
    with pytest.raises(ConfigError, match=r"line 6.*bad regular expression"):
        load_rules(path)
    path.write_text("[form]\nplaceholders = [1, 2]\n")
    with pytest.raises(ConfigError, match="line 2.*expected a list of strings"):
        load_rules(path)
    path.write_text("[form\n")
    with pytest.raises(ConfigError, match="line 1"):
        load_rules(path)


def test_every_problem_of_a_config_is_reported_at_once(tmp_path: Path) -> None:
    """An admin fixing a new config should not have to start the worker once per mistake."""
    path = tmp_path / "c.toml"
    path.write_text(GOOD.replace("port = 10143", "port = 70000").replace('folders = ["INBOX"]', "folders = []")
                    + '[[mailboxes]]\nname = "storsthlm"\ntype = "maildir"\nbatch_mb = 0\n'
                    + '[worker]\npoll_minutes = 0\ntimezone = "Europe/Stokholm"\n[logging]\nformat = "xml"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{path}: 8 problems:"
    assert [line.strip() for line in lines[1:]] == [
        "worker.poll_minutes: must be more than 0",
        "worker.timezone: 'Europe/Stokholm' is not a time zone (e.g. \"Europe/Stockholm\")",
        "logging.format: must be 'text' or 'json', got 'xml'",
        "mailboxes[0] (storsthlm).port: 70000 is not a port number",
        "mailboxes[0] (storsthlm).folders: list at least one folder, e.g. [\"INBOX\"]",
        "mailboxes[1].name: 'storsthlm' is used twice",
        "mailboxes[1] (storsthlm).batch_mb: must be more than 0 (MB of mail per batch), got 0.0",
        "mailboxes[1] (storsthlm).path: a maildir mailbox needs the path of the Maildir",
    ]


def test_the_example_config_loads_and_documents_every_key() -> None:
    """docs/config.example.toml is what an admin copies: it must load, and show every option."""
    import dataclasses
    import re

    from config import settings as s
    example = Path(__file__).resolve().parent.parent / "docs" / "config.example.toml"
    loaded = load_settings(example)
    assert [m.name for m in loaded.mailboxes] == ["storsthlm", "hsf"]
    text = example.read_text(encoding="utf-8")
    for cls in (s.MailboxSettings, s.SmtpSettings, s.ReminderSettings, s.DigestSettings, s.WorkerSettings,
                s.LoggingSettings, s.WebSettings, s.OidcSettings):
        missing = [f.name for f in dataclasses.fields(cls)
                   if not re.search(rf"^#?\s*({f.name}\s*=|\[web\.(oidc\.)?{f.name}\])", text, re.M)]
        assert missing == [], f"{cls.__name__}: not in the example config: {missing}"


def test_the_example_sso_table_loads_once_uncommented(monkeypatch: pytest.MonkeyPatch) -> None:
    import tomllib

    example = (Path(__file__).resolve().parent.parent / "docs" / "config.example.toml").read_text(encoding="utf-8")
    block = example[example.index("# [web.oidc]"):]
    data = tomllib.loads("[web]\n" + "\n".join(line[2:] for line in block.splitlines() if line.startswith("# ")))
    monkeypatch.setenv("BUSAVVIK_OIDC_SECRET", "from-the-environment")
    oidc = parse_settings(data, check_secrets=True).web.oidc
    assert oidc is not None and oidc.issuer.endswith("/TENANT-ID/v2.0") and oidc.redirect_path == "/login/sso/callback"
    assert oidc.role_for("Eva.Lund@region.example.se", ()) == "secretariat"
    assert oidc.role_for("x@y.se", oidc.mapped_groups(["5D3C1F7E-2B8A-4C61-9E0F-0A1B2C3D4E5F", "other"])) == "reader"
    assert oidc.role_for("x@y.se", ()) is None
    assert oidc.client_secret() is not None and oidc.client_secret().value == "from-the-environment"  # type: ignore


@pytest.mark.parametrize(("oidc", "message"), [
    ({"issuer": "http://login.example.com/t/v2.0"}, "web.oidc.issuer: must be an https:// URL"),
    ({"client_id": ""}, "web.oidc.client_id: missing"),
    ({"client_secret": "hemligt"}, "web.oidc.client_secret: secrets are not written in the config file"),
    ({"users": {"eva@x.se": "root"}}, "web.oidc.users.eva@x.se: role must be one of reader, secretariat, admin"),
    ({"users": {}, "groups": {}}, ""),
    ({"scopes": ["profile"]}, "web.oidc.scopes: a list of scopes that includes \"openid\""),
    ({"redirect_path": "https://evil.example/cb"}, "web.oidc.redirect_path: must be a path"),
    ({"tenant": "x"}, "web.oidc: unknown key(s) tenant"),
    ({"client_secret_env": "NOT_SET_ANYWHERE_42"}, "environment variable NOT_SET_ANYWHERE_42 is not set"),
])
def test_bad_sso_config_is_named(oidc: dict[str, object], message: str) -> None:
    table = {"issuer": "https://login.microsoftonline.com/t/v2.0", "client_id": "c",
             "users": {"eva@x.se": "reader"}, **oidc}
    if not message:                                   # an empty mapping is allowed when written on purpose
        assert parse_settings({"web": {"oidc": table}}).web.oidc is not None
        return
    with pytest.raises(ConfigError) as err:
        parse_settings({"web": {"oidc": table}}, check_secrets=True)
    assert message in str(err.value)
