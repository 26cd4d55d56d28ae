"""Setting up the Dovecot test server (see tests/support/servers/dovecot.py): binaries, TLS files, config text.

Split out of tests/support/servers/dovecot.py; that module re-exports these names.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

INSTALL_HINT = ("run scripts/install-test-deps.sh as root (apt-get install -y --no-install-recommends "
                "dovecot-imapd openssl)")


class DovecotError(RuntimeError):
    """The test server could not be set up; the message says what to do."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_binaries() -> None:
    missing = [name for name in ("dovecot", "doveadm", "openssl") if shutil.which(name) is None]
    if missing:
        raise DovecotError(f"{', '.join(missing)} not found: {INSTALL_HINT}")
    if os.geteuid() != 0:
        raise DovecotError("the Dovecot test server runs as root (it switches mail processes to `mail`)")


def make_tls_files(directory: Path) -> tuple[Path, Path, Path]:
    """A self-signed CA and a server certificate signed by it; returns (ca.pem, server.pem, server.key)."""
    ca_key, ca_pem = directory / "ca.key", directory / "ca.pem"
    key, csr, pem = directory / "server.key", directory / "server.csr", directory / "server.pem"
    ext = directory / "server.ext"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                   "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
          "/CN=busavvik test CA", "-keyout", str(ca_key), "-out", str(ca_pem),
          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    _run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
          "-keyout", str(key), "-out", str(csr)])
    _run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca_pem), "-CAkey", str(ca_key),
          "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(pem)])
    return ca_pem, pem, key


def _run(cmd: Sequence[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    # stdout to /dev/null and stderr to a file: a daemon keeps inherited pipes open and would hang us
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.run(list(cmd), check=False, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=err, text=True, timeout=60)
        err.seek(0)
        message = err.read().strip()
    if check and proc.returncode != 0:
        raise DovecotError(f"{' '.join(cmd[:3])} failed ({proc.returncode}): {message}")
    return proc


_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
default_internal_user = dovecot
default_login_user = dovenull
mail_uid = mail
mail_gid = mail
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
mail_location = maildir:~/Maildir
mail_fsync = never
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_verbose = yes
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
{imaps}}}
ssl = {ssl}
{ssl_files}
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
