"""Local accounts of the web pages: add, change password, disable, check a login.  Argon2 hashes only."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from store import websessions
from store.message_rows import now
from store.models import WebUser

ROLES = ("reader", "secretariat", "admin")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
MIN_PASSWORD = 12
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
_hasher = PasswordHasher()
# verified against when the name is unknown, so that a wrong name costs as long as a wrong password
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class UserError(Exception):
    """The account change cannot be made; the message (Swedish) says why."""


@dataclass(frozen=True)
class Account:
    """A logged-in account as the pages see it. `stamp` changes when the password changes (ends sessions)."""
    name: str
    role: str
    stamp: str


def _account(user: WebUser) -> Account:
    return Account(user.name, user.role, hashlib.sha256(user.password_hash.encode()).hexdigest()[:16])


@cache
def _common() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def _check_password(password: str) -> None:
    """A passphrase: at least MIN_PASSWORD characters, not only blanks or a few characters repeated, and not a
    common password (with or without digits at the end)."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"lösenordet måste ha minst {MIN_PASSWORD} tecken (välj gärna en fras av flera ord)")
    if not password.strip() or len(set(password)) < 5:
        raise UserError("lösenordet består av för få olika tecken; välj en fras av flera ord")
    folded = password.strip().casefold()
    if folded in _common() or folded.rstrip("0123456789!.") in _common():
        raise UserError("lösenordet finns i listan över vanliga lösenord; välj en fras av flera ord")


def _get(session: Session, name: str) -> WebUser | None:
    return session.scalars(select(WebUser).where(WebUser.name == name.strip())).first()


def add_user(session: Session, name: str, role: str, password: str) -> Account:
    name = name.strip()
    if not _NAME.match(name):
        raise UserError("namnet får bara innehålla bokstäver a–z, siffror och . _ @ - (högst 100 tecken)")
    if role not in ROLES:
        raise UserError(f"okänd roll {role!r}; välj en av {', '.join(ROLES)}")
    _check_password(password)
    if _get(session, name) is not None:
        raise UserError(f"användaren {name} finns redan (byt lösenord med `busavvik user passwd`)")
    stamp = now()
    user = WebUser(name=name, role=role, password_hash=_hasher.hash(password), disabled=False,
                   created_at=stamp, updated_at=stamp)
    session.add(user)
    session.flush()
    return _account(user)


def set_password(session: Session, name: str, password: str) -> None:
    user = _get(session, name)
    if user is None:
        raise UserError(f"ingen användare {name!r}")
    _check_password(password)
    user.password_hash, user.updated_at = _hasher.hash(password), now()
    websessions.end_all(session, user.name)


def disable_user(session: Session, name: str) -> bool:
    """False when the account was disabled already."""
    user = _get(session, name)
    if user is None:
        raise UserError(f"ingen användare {name!r}")
    websessions.end_all(session, user.name)
    if user.disabled:
        return False
    user.disabled, user.updated_at = True, now()
    return True


def authenticate(session: Session, name: str, password: str) -> Account | None:
    """The account when the name and password are right and it is not disabled; None otherwise."""
    user = _get(session, name) if name else None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return _account(user)


def login_hash(session: Session, name: str) -> tuple[str | None, Account | None]:
    """The stored hash to check a login against (None: no such name) and the account when it may log in."""
    user = _get(session, name) if name else None
    if user is None:
        return None, None
    return user.password_hash, None if user.disabled else _account(user)


def verify_password(hashed: str | None, password: str) -> bool:
    """Argon2: slow on purpose, touches no database (run it outside any session). An unknown name (None) is
    checked against a dummy hash, so that it costs as long as a wrong password."""
    try:
        return bool(_hasher.verify(hashed or _DUMMY_HASH, password)) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    return bool(_hasher.check_needs_rehash(hashed))


def rehash(session: Session, name: str, password: str) -> Account | None:
    """After a right password under older argon2 parameters: the new hash, and the account with its new stamp."""
    user = _get(session, name)
    if user is None or user.disabled:
        return None
    user.password_hash = _hasher.hash(password)
    return _account(user)


def active_account(session: Session, name: str) -> Account | None:
    """The account behind a session, or None once it was disabled or removed."""
    user = _get(session, name)
    return None if user is None or user.disabled else _account(user)


def list_users(session: Session) -> list[tuple[str, str, bool]]:
    return [(u.name, u.role, u.disabled) for u in session.scalars(select(WebUser).order_by(WebUser.name))]
