"""What `busavvik status` says besides the mailbox table: cursors in words, whether the worker is alive, and
the reminders (enabled, pending, failed, unknown, held, last sent). Swedish: the secretariat reads it."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.localzone import STOCKHOLM, LocalTime
from config.settings import Settings
from notify.review import attention_lines
from store.db import Database
from store.heartbeat import Liveness, liveness
from store.models import Case, Cursor, Reminder


def local(moment: datetime | None, never: str = "aldrig", zone: LocalTime = STOCKHOLM) -> str:
    return zone.text(moment) if moment else never


def cursor_text(mailbox_type: str, c: Cursor, zone: LocalTime = STOCKHOLM) -> str:
    """A folder's cursor in words: IMAP UIDVALIDITY and last UID, or a Maildir's high-water mark."""
    if mailbox_type == "maildir" or c.uidvalidity == 0:
        if not c.last_uid:
            return f"{c.folder}: ingen post ännu"
        mark = datetime.fromtimestamp(c.last_uid / 1e9, UTC)
        return f"{c.folder}: Maildir, filer t.o.m. {local(mark, zone=zone)} lästa"
    if not c.last_uid:
        return f"{c.folder}: ingen post ännu (UIDVALIDITY {c.uidvalidity})"
    return f"{c.folder}: UIDVALIDITY {c.uidvalidity}, senast hämtade UID {c.last_uid}"


def worker_info(session: Session, now: datetime, zone: LocalTime = STOCKHOLM) -> dict[str, Any]:
    live = liveness(session, now)
    return {"state": live.state, "last_active": live.beat_at, "host": live.host, "pid": live.pid,
            "started": live.started_at, "stale_after_seconds": int(live.stale_after.total_seconds()),
            "text": worker_text(live, now, zone)}


def worker_text(live: Liveness, now: datetime, zone: LocalTime = STOCKHOLM) -> str:
    where = f" på {live.host} (pid {live.pid})" if live.host else ""
    if live.state == "never":
        return ("Arbetaren (busavvik run): har aldrig kört mot den här databasen – starta den "
                "(t.ex. systemctl start busavvik)")
    if live.state == "stopped":
        return f"Arbetaren (busavvik run): stoppad {local(live.beat_at, zone=zone)}{where} – starta den om den ska köra"
    if live.state == "stale":
        minutes = int((now - live.beat_at).total_seconds() // 60) if live.beat_at else 0
        return (f"Arbetaren (busavvik run): senast aktiv {local(live.beat_at, zone=zone)}{where} – INAKTUELL, "
                f"inget livstecken "
                f"på {minutes} minuter: den kör inte, hänger eller når inte databasen; se "
                "`systemctl status busavvik` och loggen")
    return f"Arbetaren (busavvik run): kör – senast aktiv {local(live.beat_at, zone=zone)}{where}"


def reminder_info(db: Database, settings: Settings) -> dict[str, Any]:
    with db.session() as session:
        counts = dict(session.execute(select(Reminder.status, func.count()).group_by(Reminder.status)).tuples().all())
        last = session.execute(select(Case.case_id, Reminder.step, Reminder.sent_at)
                               .join(Case, Case.id == Reminder.case_pk).where(Reminder.status == "sent")
                               .order_by(Reminder.sent_at.desc()).limit(1)).first()
    info: dict[str, Any] = {
        "enabled": settings.reminders.enabled, "smtp": bool(settings.smtp.host),
        "pending": sum(counts.get(s, 0) for s in ("pending", "sending", "delivering")),
        "sent": counts.get("sent", 0), "failed": counts.get("failed", 0), "unknown": counts.get("unknown", 0),
        "held": counts.get("held", 0), "last_sent": last[2] if last else None,
        "last_sent_case": f"{last[0]} {last[1]}" if last else None, "attention": attention_lines(db)}
    info["text"] = reminder_text(info, settings.local)
    return info


def reminder_text(i: dict[str, Any], zone: LocalTime = STOCKHOLM) -> str:
    if not i["enabled"]:
        state = "AV (reminders.enabled = false): inga påminnelser skickas"
    elif not i["smtp"]:
        state = "på, men smtp.host saknas: inga påminnelser skickas"
    else:
        state = "på"
    last = f"{local(i['last_sent'], zone=zone)} ({i['last_sent_case']})" if i["last_sent"] else "ingen ännu"
    return (f"Påminnelser: {state}; väntar {i['pending']}, misslyckade {i['failed']}, okänt utfall {i['unknown']}, "
            f"stoppade (för många mottagare) {i['held']}, skickade {i['sent']}; senast skickad {last}")
