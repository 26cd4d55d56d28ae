"""One mail's path through the code, traced against a real Dovecot: the measures of issue 23.

    .venv/bin/python -m bench.trace_path [--functions] [--json OUT]

Starts a fresh Dovecot (tests/servers/dovecot.py, as bench/imap_sync.py does) and a fresh SQLite store, then
traces (sys.setprofile and threading.setprofile, this process and its threads; the parser processes are
other processes and are not traced) each of these, one at a time:
- new:      a new deviation (a mail with the filled-in form) fetched by `busavvik.poll.poll_once`;
- answer:   the receiver's answer to a deviation stored before, fetched the same way;
- relink:   a deviation whose answer was fetched (and stored unlinked) in an earlier poll;
- by hand:  that answer unlinked and linked again by a person (`store.corrections.unlink` / `link`);
- reminder: the first reminder of the unanswered deviation (`notify.service.run_reminders`, a recording
            transport instead of SMTP).
Only project files count (not .venv/, tests/, bench/); calls of a module's top level (imports) do not.
Printed per traced step:
- files:       project files with a function called;
- spine files: files whose functions call functions of two or more other project files;
- re-entries:  calls into a file already left (entered before, not on the stack at the call); also counted
               apart: those made by project code itself, not by a library calling back (SQLAlchemy's type
               processors and session events, a thread's start);
- parses outside the budget: calls of the mail parsers (`parse_mail_and_form`, `parse_email`,
  `form_attachment`) in this process, by the project function outside parsers/ that made them (in the
  parser processes they are inside the budget and are not seen here);
and, with --functions, the project functions the new mail passes, in the order first called.
Runs as root (Dovecot switches to `mail`).  Works on any commit since issue 23's review (its entry points are
the CLI's own).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:                          # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

PARSE_ENTRIES = {("parsers/mailform.py", "parse_mail_and_form"), ("parsers/mail.py", "parse_email"),
                 ("parsers/mailform.py", "form_attachment")}
SECRETARIAT = ["BUS-avvikelser@storsthlm.se", "BUS-avvikelser.hsf@sll.se"]
USER, PASSWORD = "trace", "trace-password"
TARGETS = {"spine": 8, "reentries": 35, "outside": 0, "reminder_files": 16}


@dataclass
class Trace:
    """What one traced step called: files, edges between files, re-entries, parses outside the budget."""
    name: str
    order: list[str] = field(default_factory=list)                 # file:function, first call order
    files: set[str] = field(default_factory=set)
    callees: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    reentries: Counter[str] = field(default_factory=Counter)
    direct: Counter[str] = field(default_factory=Counter)          # re-entries called by project code itself
    direct_calls: Counter[str] = field(default_factory=Counter)    # caller function -> callee function
    outside: Counter[str] = field(default_factory=Counter)         # caller function -> parses it made
    _seen: set[str] = field(default_factory=set)
    _codes: dict[CodeType, str | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _file(self, code: CodeType) -> str | None:
        try:
            return self._codes[code]
        except KeyError:
            pass
        path, rel = code.co_filename, None
        if path.startswith(str(ROOT) + "/"):
            rel = path[len(str(ROOT)) + 1:]
            if rel.startswith((".venv/", "tests/", "bench/")) or not rel.endswith(".py"):
                rel = None
        self._codes[code] = rel
        return rel

    def hook(self, frame: FrameType, event: str, _arg: Any) -> None:
        if event != "call":
            return
        code = frame.f_code
        rel = self._file(code)
        if rel is None or code.co_name == "<module>":
            return
        stack: list[tuple[str, str]] = []       # project frames above, nearest first: (file, function)
        up = frame.f_back
        direct = up is not None and self._file(up.f_code) is not None   # not a callback of a library
        while up is not None:
            up_rel = self._file(up.f_code)
            if up_rel is not None:
                if up.f_code.co_name == "<module>":
                    return                      # module top level (an import): not the mail's path
                stack.append((up_rel, up.f_code.co_name))
            up = up.f_back
        with self._lock:
            self._record(rel, code.co_name, stack, direct)

    def _record(self, rel: str, func: str, stack: list[tuple[str, str]], direct: bool) -> None:
        key = f"{rel}:{func}"
        if key not in self._seen:
            self._seen.add(key)
            self.order.append(key)
        caller = stack[0][0] if stack else None
        if caller is not None and caller != rel:
            self.callees[caller].add(rel)
            if rel in self.files and rel not in {f for f, _ in stack}:
                self.reentries[rel] += 1
                if direct:
                    self.direct[rel] += 1
                    self.direct_calls[f"{stack[0][0]}:{stack[0][1]} -> {rel}:{func}"] += 1
        self.files.add(rel)
        if (rel, func) in PARSE_ENTRIES and not any(f.startswith("parsers/") for f, _ in stack):
            origin = next((f"{f}:{fn}" for f, fn in stack), "(top)")
            self.outside[origin] += 1

    @property
    def spine(self) -> list[str]:
        return sorted(f for f, out in self.callees.items() if len(out) >= 2)

    def summary(self) -> dict[str, Any]:
        return {"files": len(self.files), "spine": len(self.spine), "spine_files": self.spine,
                "reentries": sum(self.reentries.values()), "reentries_by_file": dict(self.reentries.most_common()),
                "reentries_direct": sum(self.direct.values()), "direct_by_file": dict(self.direct.most_common()),
                "file_list": sorted(self.files), "direct_calls": dict(self.direct_calls.most_common()),
                "outside_paths": sorted(self.outside), "functions": len(self.order)}


@contextmanager
def traced(name: str, traces: list[Trace]) -> Iterator[Trace]:
    trace = Trace(name)
    threading.setprofile(trace.hook)
    sys.setprofile(trace.hook)
    try:
        yield trace
    finally:
        sys.setprofile(None)
        threading.setprofile(None)   # type: ignore[arg-type]
    traces.append(trace)


# ---- the mails ------------------------------------------------------------------------------------------
def _mails() -> dict[str, bytes]:
    from tests.support.formbuilder import build_form
    from tests.support.mailbuilder import exchange_id, make_mail

    def deviation(n: int, day: int) -> tuple[str, bytes]:
        mid = exchange_id(f"trace-deviation-{n}")
        values = {"event_type": f"Uteblivet SIP-möte {n}", "units_involved": ["BUP Globen"],
                  "description": f"BUP kom inte till mötet ({n}).", "reporter_unit": "Socialtjänsten Farsta",
                  "reporter_email": "rep@farsta.se", "reporter_name": "Rita Rapportör"}
        return mid, make_mail(subject=f"BUS-avvikelse {n}: uteblivet SIP-möte", sender="rep@farsta.se",
                              to=[f"chef{n}@sll.se"], cc=SECRETARIAT, message_id=mid,
                              when=datetime(2026, 3, day, 9, 0, tzinfo=UTC),
                              attachments=[("Avvikelseblankett.docx", build_form(values))])

    def answer(n: int, day: int, dev_id: str) -> bytes:
        return make_mail(subject=f"SV: BUS-avvikelse {n}: uteblivet SIP-möte", sender=f"chef{n}@sll.se",
                         to=["rep@farsta.se"], cc=SECRETARIAT, in_reply_to=dev_id, references=[dev_id],
                         message_id=exchange_id(f"trace-answer-{n}"), when=datetime(2026, 3, day, 14, 0, tzinfo=UTC),
                         body="Vi har utrett händelsen och infört en ny rutin för kallelser till SIP-möten.")

    id1, dev1 = deviation(1, 2)
    id2, dev2 = deviation(2, 3)
    id3, dev3 = deviation(3, 4)
    return {"dev1": dev1, "dev2": dev2, "answer2": answer(2, 5, id2), "dev3": dev3, "answer3": answer(3, 6, id3),
            "answer3_id": exchange_id("trace-answer-3").encode()}


class Recording:
    """A transport that accepts every reminder and keeps it (no SMTP server in the trace)."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, data: bytes, sender: str, recipients: Sequence[str], before_payload: Callable[[], bool],
             required: Sequence[str] = ()) -> Any:
        from notify.smtp import SendResult
        if not before_payload():
            return SendResult("aborted", None, "")
        self.sent.append(data)
        return SendResult("accepted", 250, "")


def run(show_functions: bool) -> dict[str, Any]:
    from busavvik.context import AppContext
    from busavvik.poll import poll_once
    from config.settings import MailboxSettings, ReminderSettings, Settings, SmtpSettings
    from notify import service
    from store import corrections
    from store.models import Case
    from tests.support.servers.dovecot import DovecotServer

    mails = _mails()
    traces: list[Trace] = []
    server = DovecotServer().start()
    try:
        server.add_user(USER, PASSWORD)
        work = Path(tempfile.mkdtemp(prefix="busavvik-trace-"))
        secret = work / "secret"
        secret.write_text(PASSWORD)
        mailbox = MailboxSettings(name="storsthlm", host="127.0.0.1", port=server.port, security="none",
                                  username=USER, password_file=str(secret), batch_size=200)
        settings = Settings(database_url=f"sqlite:///{work / 'store.db'}", mailboxes=(mailbox,),
                            smtp=SmtpSettings(host="127.0.0.1", port=25, security="none",
                                              from_address="bus-avvikelser@storsthlm.se"),
                            reminders=ReminderSettings(enabled=True, start_date=date(2026, 1, 1)))
        app = AppContext(None)
        app.__dict__.update(settings=settings)
        _ = app.db, app.rules, app.budget                   # schema and rules outside the traces

        def poll(*names: str) -> None:
            server.append(USER, "INBOX", [mails[n] for n in names])

        poll("dev2", "answer3")
        poll_once(app)                                     # set-up: deviation 2, answer 3 before its deviation
        poll("dev1")
        with traced("new", traces):
            poll_once(app)
        poll("answer2")
        with traced("answer", traces):
            poll_once(app)
        poll("dev3")
        with traced("relink", traces):
            poll_once(app)
        answer3 = mails["answer3_id"].decode()
        with app.db.session() as session:
            case3 = session.query(Case).order_by(Case.id.desc()).first()
            case3_id = case3.case_id if case3 else ""
        with traced("by_hand", traces):
            with app.db.session() as session:
                corrections.unlink(session, answer3, "trace", app.rules)
            with app.db.session() as session:
                corrections.link(session, answer3, case3_id, "trace", app.rules)
        transport = Recording()
        with traced("reminder", traces):
            service.run_reminders(app, datetime(2026, 5, 12, 8, 0, tzinfo=UTC), False, transport=transport)
        with app.db.session() as session:
            kinds = Counter(k for (k,) in session.execute(__import__("sqlalchemy").text("SELECT kind FROM message")))
    finally:
        server.stop()
    out = {t.name: t.summary() for t in traces}
    out["check"] = {"kinds": dict(kinds), "reminders_sent": len(transport.sent),
                    "reminder_attachment": any(b"Avvikelseblankett.docx" in m for m in transport.sent)}
    out["all_outside_paths"] = sorted({p for t in traces for p in t.outside})
    if show_functions:
        out["new_functions"] = next(t.order for t in traces if t.name == "new")
    return out


def report(out: dict[str, Any]) -> None:
    new, rem = out["new"], out["reminder"]
    print(f"checks: {out['check']}")
    for name in ("new", "answer", "relink", "by_hand", "reminder"):
        s = out[name]
        print(f"{name:9} files {s['files']:3}  spine {s['spine']:2}  re-entries {s['reentries']:3} "
              f"(project→project {s['reentries_direct']:3})  "
              f"parses outside the budget {s['outside_paths'] or 0}")
    print(f"spine files on the new mail's path: {new['spine']} (target ≤ {TARGETS['spine']}): "
          f"{', '.join(new['spine_files'])}")
    print(f"re-entries into a file already left (new mail): {new['reentries']} (target ≤ {TARGETS['reentries']}): "
          + ", ".join(f"{f} {n}" for f, n in list(new["reentries_by_file"].items())[:8]))
    print(f"  of which called by project code (not a library's callback: SQLAlchemy's type processors and events, "
          f"a thread's start): {new['reentries_direct']}: "
          + ", ".join(f"{f} {n}" for f, n in list(new["direct_by_file"].items())[:8]))
    print(f"parses of mail bytes outside the budgeted entry, all steps: {len(out['all_outside_paths'])} paths "
          f"(target {TARGETS['outside']}): {', '.join(out['all_outside_paths']) or '-'}")
    print(f"files on the reminder's path: {rem['files']} (target ≤ {TARGETS['reminder_files']}): "
          f"{', '.join(rem['file_list'])}")
    if "new_functions" in out:
        print(f"\nthe new mail's path, {len(out['new_functions'])} project functions in the order first called:")
        for i, key in enumerate(out["new_functions"], 1):
            print(f"{i:4} {key}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--functions", action="store_true", help="print the new mail's functions in order")
    parser.add_argument("--json", help="also write the figures as JSON to this file")
    args = parser.parse_args()
    out = run(args.functions)
    report(out)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
