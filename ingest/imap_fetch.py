"""Fetching a chunk of UIDs so that a message the server will not deliver never stops its folder.

Servers refuse single messages for good: Exchange Online answers NO to a FETCH of a message it cannot
convert to RFC 822, Dovecot closes the connection (BYE) when it cannot read a message's file. Either way the
same batch used to fail at every poll, and the folder's cursor never moved again. Here:
- a FETCH the server refuses (NO or BAD; the connection stays) is split in halves until the refused UIDs
  are found; each is set aside (`SetAside`), the others are delivered;
- after the server hung up with a BYE that blames the FETCH, the next attempt (ingest.imap.with_retries) asks
  for those UIDs one at a time; a UID during whose FETCH it hung up STRIKES times is set aside. A connection
  lost otherwise (EOF, reset, timeout, a BYE for the session) is not the message's doing: the FETCH is
  simply tried again;
- a message that comes back without its content is set aside too; one not returned at all was expunged
  meanwhile, and is skipped.
A set-aside UID goes to the store with the batch whose cursor passes it, with its From, Subject and Date
when the server gives them, and is asked for again later (store/setaside.py).
When a chunk's first REFUSED_IN_A_ROW UIDs are all refused one by one and none was delivered, the server
refuses the folder rather than the messages (throttling, say): the error is raised as before (the folder's
poll fails and is tried again) and nothing is set aside.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from ingest.batches import MAX_UIDS, cuts
from ingest.types import RawMessage, SetAside

log = logging.getLogger("ingest.imap")
STRIKES = 2
REFUSED_IN_A_ROW = 8
LOST = "the server hung up (BYE) each time it was asked for it"
EMPTY = "the server sent it without its content"


@dataclass
class FetchState:
    """What one folder's poll learnt across its connection attempts."""
    careful: set[int] = field(default_factory=set)      # UIDs to ask for one at a time
    strikes: dict[int, int] = field(default_factory=dict)
    in_flight: tuple[int, ...] = ()
    progress: int = 0                                   # rises whenever a retry would get further
    describe: bool = True                               # off once asking for headers cost a connection

    def lost_connection(self, exc: BaseException) -> None:
        """After a network error: when the server hung up during a FETCH, learn from it."""
        uids, self.in_flight = self.in_flight, ()
        if not hung_up(exc):
            return
        if len(uids) > 1:
            self.careful.update(uids)
            self.progress += 1
        elif uids:
            self.strikes[uids[0]] = self.strikes.get(uids[0], 0) + 1
            self.progress += 1

    def struck_out(self, uid: int) -> bool:
        return self.strikes.get(uid, 0) >= STRIKES


def hung_up(exc: BaseException) -> bool:
    """The server said BYE blaming the FETCH (Dovecot: "BYE FETCH failed: Internal error occurred").
    imaplib raises abort with the BYE's text after "command: FETCH => "; its own aborts for EOF and socket
    errors say "socket error"; timeouts are OSErrors. A BYE for the session (an expired token, a shutdown,
    inactivity) does not name the FETCH, and blames no message."""
    if not isinstance(exc, IMAPClientAbortError):
        return False
    said = str(exc).split(" => ", 1)[-1]
    return "socket error" not in said and "fetch" in said.lower()


Fetched = tuple[dict[int, bytes], list[SetAside]]


def plan_batches(client: IMAPClient, uids: Sequence[int], batch_size: int, batch_bytes: int
                 ) -> Iterator[list[int]]:
    """`uids` cut into batches of at most `batch_size` UIDs and `batch_bytes` (by RFC822.SIZE), so that a
    run of big mails never holds hundreds of MB; a mail bigger than `batch_bytes` is a batch of its own.
    Sizes are asked for by MAX_UIDS UIDs at a time, as the batches are needed (none for one UID)."""
    for i in range(0, len(uids), MAX_UIDS):
        window = list(uids[i:i + MAX_UIDS])
        sizes: dict[int, int] = {}
        if len(uids) > 1:
            for uid, item in client.fetch(window, [b"RFC822.SIZE"]).items():
                sizes[uid] = int(item.get(b"RFC822.SIZE") or 0)
        for start, end in cuts([sizes.get(uid, 0) for uid in window], batch_size, batch_bytes):
            yield window[start:end]


@dataclass
class _Tally:
    delivered: int = 0
    refused: int = 0

    def refuse(self, uid: int, exc: IMAPClientError) -> SetAside:
        self.refused += 1
        if self.refused >= REFUSED_IN_A_ROW and not self.delivered:
            raise IMAPClientError(f"{self.refused} messages refused one by one and none delivered: {exc}")
        return SetAside(uid, "refused", f"the server refused it: {exc}"[:500])


def fetch_chunk(client: IMAPClient, mailbox: str, folder: str, uidvalidity: int, uids: Sequence[int],
                state: FetchState) -> tuple[tuple[RawMessage, ...], tuple[SetAside, ...]]:
    """The messages of `uids` (in UID order) and the UIDs set aside."""
    aside = [SetAside(uid, "hung_up", LOST) for uid in uids if state.struck_out(uid)]
    wanted = [uid for uid in uids if not state.struck_out(uid)]
    groups = [[uid for uid in wanted if uid not in state.careful]]
    groups += [[uid] for uid in wanted if uid in state.careful]
    bodies: dict[int, bytes] = {}
    tally = _Tally()
    for group in groups:
        if group:
            got, refused = _fetch(client, group, state, tally)
            bodies.update(got)
            aside += refused
    aside = _described(client, aside, state)
    for item in aside:
        log.warning("mailbox %s folder %s: UID %d set aside (%s); it will be asked for again later",
                    mailbox, folder, item.uid, item.reason)
    messages = tuple(RawMessage(mailbox, folder, data, uidvalidity, uid) for uid, data in sorted(bodies.items()))
    return messages, tuple(sorted(aside, key=lambda a: a.uid))


def _fetch(client: IMAPClient, uids: list[int], state: FetchState, tally: _Tally) -> Fetched:
    state.in_flight = tuple(uids)
    try:
        response = client.fetch(uids, [b"BODY.PEEK[]"])
    except IMAPClientAbortError:
        raise                       # the connection is gone: ingest.imap reconnects (and state learns)
    except IMAPClientError as exc:  # NO or BAD: this connection still works
        state.in_flight = ()
        if len(uids) == 1:
            return {}, [tally.refuse(uids[0], exc)]
        half = len(uids) // 2
        first, second = _fetch(client, uids[:half], state, tally), _fetch(client, uids[half:], state, tally)
        return {**first[0], **second[0]}, first[1] + second[1]
    state.in_flight = ()
    bodies: dict[int, bytes] = {}
    aside: list[SetAside] = []
    for uid in uids:
        item = response.get(uid)
        data = item.get(b"BODY[]") if item else None
        if data is not None:
            bodies[uid] = bytes(data)
        elif item:
            aside.append(SetAside(uid, "empty", EMPTY))
        else:
            log.info("UID %d was not returned (expunged meanwhile); skipped", uid)
    tally.delivered += len(bodies)
    return bodies, aside


HEADERS = b"BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE MESSAGE-ID)]"


def _described(client: IMAPClient, aside: list[SetAside], state: FetchState) -> list[SetAside]:
    """The set-aside messages with their From, Subject, Date and Message-ID, so that a person can find them,
    when the server gives those (not asked after a hang-up: that message may end the connection again)."""
    uids = [item.uid for item in aside if item.code != "hung_up"]
    if not uids or not state.describe:
        return aside
    state.describe = False          # should this cost the connection, the next attempt does without
    try:
        response = client.fetch(uids, [HEADERS])
    except IMAPClientAbortError:
        raise
    except IMAPClientError:         # refused too (the connection stays): the UID is all there is
        response = {}
    state.describe = True
    found = {uid: bytes(next((v for k, v in item.items() if k.startswith(b"BODY[HEADER")), b"") or b"")
             for uid, item in response.items()}
    return [replace(item, headers=found.get(item.uid, b"")[:4000]) for item in aside]
