"""SQLAlchemy 2.0 typed models.  Models never commit: the code that runs a stage owns the transaction."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Literal, get_args

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from parsers.types import Classification, FormData
from store.jsontypes import (
    ClassificationColumn,
    FormColumn,
    Manager,
    ManagerColumn,
    Recipients,
    RecipientsColumn,
)

# The values of the short text columns that hold one of a few; the database keeps them as text.
MessageKind = Literal["deviation", "answer", "follow_up", "auto_reply", "own", "other",
                      "dismissed"]    # dismissed: a person said "not about a deviation" (store/review.py)
CaseStatus = Literal["open", "closed", "paused"]
ReceiverState = Literal["awaited", "answered", "not_expected", "bounced"]
MESSAGE_KINDS: tuple[MessageKind, ...] = get_args(MessageKind)
CASE_STATUSES: tuple[CaseStatus, ...] = get_args(CaseStatus)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive values)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class RawBlob(Base):
    """Raw message bytes, content-addressed; written before anything is parsed."""
    __tablename__ = "raw_blob"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Case(Base):
    __tablename__ = "bus_case"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(String(20), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    source_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", use_alter=True, name="fk_bus_case_source_message"))
    first_received: Mapped[datetime] = mapped_column(UTCDateTime())
    response_due: Mapped[date] = mapped_column(Date)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    text_fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    normalised_subject: Mapped[str] = mapped_column(Text, default="")
    form: Mapped[FormData] = mapped_column(FormColumn, default=dict)        # read back typed (store/jsontypes.py)
    classification: Mapped[Classification] = mapped_column(ClassificationColumn, default=dict)
    participants: Mapped[list[Any]] = mapped_column(JSON, default=list)
    receivers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reporters: Mapped[list[Any]] = mapped_column(JSON, default=list)
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    responded: Mapped[bool] = mapped_column(Boolean, default=False)   # it has an answer (store/answers.settle)
    status: Mapped[CaseStatus] = mapped_column(String(10), default="open")
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # set after both rows are inserted (the message refers to the case, the case to its first message)
    source_message: Mapped[Message | None] = relationship(foreign_keys=[source_message_id], post_update=True)
    receiver_rows: Mapped[list[CaseReceiver]] = relationship(back_populates="case", order_by="CaseReceiver.id",
                                                             cascade="all, delete-orphan")
    answer_rows: Mapped[list[CaseAnswer]] = relationship(back_populates="case", order_by="CaseAnswer.id",
                                                         cascade="all, delete-orphan")
    __table_args__ = (UniqueConstraint("year", "seq"),)


class FormFile(Base):
    """A deviation's Word document as it came (its bytes, content-addressed), kept when the mail is first parsed
    so that a reminder attaches it without parsing the mail again (store/form_files.py)."""
    __tablename__ = "form_file"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Message(Base):
    __tablename__ = "message"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    message_id_header: Mapped[str] = mapped_column(Text)
    synthetic_id: Mapped[bool] = mapped_column(Boolean, default=False)
    raw_sha256: Mapped[str] = mapped_column(ForeignKey("raw_blob.sha256"), index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    normalised_subject: Mapped[str] = mapped_column(Text, default="")
    sender: Mapped[str | None] = mapped_column(String(320), nullable=True)
    sender_name: Mapped[str] = mapped_column(Text, default="")
    recipients: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    date: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    in_reply_to: Mapped[list[Any]] = mapped_column(JSON, default=list)
    references: Mapped[list[Any]] = mapped_column(JSON, default=list)
    thread_index_guid: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    auto_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[MessageKind] = mapped_column(String(12), default="other")
    case_pk: Mapped[int | None] = mapped_column(ForeignKey("bus_case.id"), nullable=True, index=True)
    link_rule: Mapped[str | None] = mapped_column(String(20), nullable=True)
    linked_by_human: Mapped[bool] = mapped_column(Boolean, default=False)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    form: Mapped[FormData | None] = mapped_column(FormColumn, nullable=True)
    body_excerpt: Mapped[str] = mapped_column(Text, default="")
    # the Word document its form was read from, kept for a deviation (store/form_files.py): the file name
    # ("" when looked for and there is none; NULL: not looked for yet) and its bytes' address in form_file
    form_filename: Mapped[str | None] = mapped_column(Text, nullable=True)
    form_file_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)   # a form_file row
    case: Mapped[Case | None] = relationship(foreign_keys=[case_pk])
    locations: Mapped[list[Location]] = relationship(back_populates="message")


class CaseReceiver(Base):
    """A receiver of a deviation: an address of the original To: that is neither the secretariat nor the
    reporting side, each expected to answer (store/receivers.py)."""
    __tablename__ = "case_receiver"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("bus_case.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    unit: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[ReceiverState] = mapped_column(String(14), default="awaited")
    answer_message_pk: Mapped[int | None] = mapped_column(ForeignKey("message.id"), nullable=True)
    changed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)    # a person's change of state
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # a reminder to it bounced (state "bounced"): the server's reason, short and redacted (store/bounces.py)
    bounce_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    case: Mapped[Case] = relationship(back_populates="receiver_rows")
    answer_message: Mapped[Message | None] = relationship(foreign_keys=[answer_message_pk])
    __table_args__ = (UniqueConstraint("case_pk", "email"),)


class CaseAnswer(Base):
    """One answer to a deviation, the receiver it is attributed to and its outcome: a linked mail (channel
    "mail", `message` set), or an answer by another route a person recorded (`message` None; store/answers.py)."""
    __tablename__ = "case_answer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("bus_case.id"), index=True)
    message_pk: Mapped[int | None] = mapped_column(ForeignKey("message.id"), unique=True, nullable=True)
    receiver_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    attributed_by: Mapped[str] = mapped_column(String(20))     # sender | manager_email | … | doubtful
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    improvements: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    manager: Mapped[Manager] = mapped_column(ManagerColumn, default=Manager)   # read back typed
    from_form: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(100), nullable=True)
    outcome_source: Mapped[str | None] = mapped_column(String(10), nullable=True)   # suggested | set
    outcome_rule: Mapped[str | None] = mapped_column(String(100), nullable=True)    # the rule that suggested it
    outcome_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    channel: Mapped[str] = mapped_column(String(20), default="mail")   # mail | phone | meeting | mail_to_reporter…
    recorded_by: Mapped[str | None] = mapped_column(String(200), nullable=True)   # a person, for another route
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    case: Mapped[Case] = relationship(back_populates="answer_rows")
    message: Mapped[Message | None] = relationship(foreign_keys=[message_pk])


class Location(Base):
    """Every place a message was seen: (mailbox, folder), with its IMAP uid when it came over IMAP."""
    __tablename__ = "location"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    mailbox: Mapped[str] = mapped_column(String(200))
    folder: Mapped[str] = mapped_column(String(1000))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    uid: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    message: Mapped[Message] = relationship(back_populates="locations")
    __table_args__ = (UniqueConstraint("message_pk", "mailbox", "folder"),
                      UniqueConstraint("mailbox", "folder", "uidvalidity", "uid"))


class Cursor(Base):
    __tablename__ = "sync_cursor"
    mailbox: Mapped[str] = mapped_column(String(200), primary_key=True)
    folder: Mapped[str] = mapped_column(String(1000), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MailboxStatus(Base):
    __tablename__ = "mailbox_status"
    mailbox: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_count: Mapped[int] = mapped_column(Integer, default=0)       # failed polls in a row (0 after a success)
    fetched_total: Mapped[int] = mapped_column(BigInteger, default=0)
    error_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # first of those failures


class WorkerHeartbeat(Base):
    """The worker's sign of life (store/heartbeat.py): written by the leader every `interval_seconds`."""
    __tablename__ = "worker_heartbeat"
    role: Mapped[str] = mapped_column(String(20), primary_key=True)      # "leader"
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    interval_seconds: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10))                       # running | stopped


class SetAsideMail(Base):
    """A message the IMAP server would not deliver (a refused FETCH, or a connection closed each time it was
    asked for), or a Maildir file that could not be read (uidvalidity 0, uid `ingest.maildir.file_key`): the
    folder's sync went on past it, and it is tried again (store/setaside.py)."""
    __tablename__ = "set_aside"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(200))
    folder: Mapped[str] = mapped_column(String(1000))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    code: Mapped[str] = mapped_column(String(20))              # refused | hung_up | empty | unreadable
    reason: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")     # "From · Subject · Date" when the server gave them
    first_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_tried_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    __table_args__ = (UniqueConstraint("mailbox", "folder", "uidvalidity", "uid"),)


class Reminder(Base):
    """One row per (case, step), created before sending: the guard against sending twice."""
    __tablename__ = "reminder"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("bus_case.id"), index=True)
    step: Mapped[str] = mapped_column(String(20))          # first | second | escalation
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | sending | sent | failed
    due_on: Mapped[date] = mapped_column(Date)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    recipients: Mapped[Recipients] = mapped_column(RecipientsColumn, default=Recipients)   # read back typed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    __table_args__ = (UniqueConstraint("case_pk", "step"),)


class DigestRun(Base):
    """One row per scheduled weekly digest, made before it is sent: a digest missed at its hour (worker
    stopped, database or SMTP down) is sent later that week, and none twice (store/digestruns.py)."""
    __tablename__ = "digest_run"
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))        # sending | sent | failed | unknown
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Correction(Base):
    """A human correction (who/when); it wins over the parser on re-parse."""
    __tablename__ = "correction"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_pk: Mapped[int | None] = mapped_column(ForeignKey("bus_case.id"), nullable=True, index=True)
    message_pk: Mapped[int | None] = mapped_column(ForeignKey("message.id"), nullable=True)
    field: Mapped[str] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    who: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


# Subjects are looked up by equality only. On PostgreSQL these are hash indexes: a btree entry may not exceed
# ~2.7 kB, and a long non-ASCII subject would make its message's row impossible to insert.
Index("ix_message_norm_subject", Message.normalised_subject, postgresql_using="hash")
Index("ix_bus_case_norm_subject", Case.normalised_subject, postgresql_using="hash")

# The review queue, newest first, over only the mail it lists; its condition is store.review.review_sql (migration
# 0010 creates it, on SQLite without NULLS LAST). Each case's receivers by state: the case list's state.
REVIEW_WHERE = text("(message.kind NOT IN ('dismissed', 'own')) AND (message.link_rule IS NULL OR message.link_rule "
                    "!= 'opened_by_hand') AND (message.kind = 'other' OR coalesce(CAST(message.problems AS TEXT), "
                    "'[]') NOT IN ('[]', 'null'))")
Index("ix_message_review", Message.date.desc().nulls_last(), Message.id.desc(), sqlite_where=REVIEW_WHERE,
      postgresql_where=REVIEW_WHERE)
Index("ix_case_receiver_case_state", CaseReceiver.case_pk, CaseReceiver.state)


class WebUser(Base):
    """A local account of the web pages (store/users.py): an argon2 hash, never the password."""
    __tablename__ = "web_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))            # reader | secretariat | admin
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A logged-in session of the web pages (web/auth.py): the cookie carries only a signed random id, whose
    SHA-256 is `id`. Deleting the row ends the session at once (logout, disable, new password, revoke)."""
    __tablename__ = "web_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(200), index=True)
    sso: Mapped[bool] = mapped_column(Boolean, default=False)
    groups: Mapped[str] = mapped_column(Text, default="")          # single sign-on: mapped groups, space-separated
    stamp: Mapped[str] = mapped_column(String(40), default="")     # local account: its password stamp at login
    csrf: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())       # idle expiry counts from here
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())    # absolute expiry


class LoginAttempt(Base):
    """The login throttle's counts (web/auth.py Throttle), one row per key: `n:<name>|<address>` or `a:<address>`.
    An attempt is counted before its password is checked, under a row lock."""
    __tablename__ = "login_attempt"
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[float] = mapped_column(Float, default=0.0)      # seconds since the epoch


class SsoIdentity(Base):
    """A person of single sign-on, known by the provider's tenant id and object id (`tid`, `oid`), bound once to
    the name that [web.oidc.users] maps (recorded in access_log as `sso_bind`)."""
    __tablename__ = "sso_identity"
    __table_args__ = (UniqueConstraint("tid", "oid", name="uq_sso_identity_tid_oid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tid: Mapped[str] = mapped_column(String(100))
    oid: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), unique=True)
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccessLog(Base):
    """Who logged in, failed, logged out, and who opened which case or mail, and when. Rows are only added (and
    culled by the retention rules); nothing edits them."""
    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    who: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(30))
    target: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
# Keeping and culling (gallring, store/retention*.py). Nothing here is ever deleted: the culling records are the
# proof of what went, the statistics rows keep every year's report, the holds say what may not go.
class CaseStatistics(Base):
    """The anonymised statistics row of a case (store/statistics.py): what the yearly report counts, without free
    text or contact data. Refreshed before culling; once the case's details are culled it is `frozen` and the
    report reads the case from here."""
    __tablename__ = "case_statistics"
    case_pk: Mapped[int] = mapped_column(ForeignKey("bus_case.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    month: Mapped[int] = mapped_column(Integer)
    relation: Mapped[str | None] = mapped_column(String(10), nullable=True)       # between | within | None
    reporter: Mapped[str] = mapped_column(Text)                                    # organisation type
    reporter_principal: Mapped[str | None] = mapped_column(String(20), nullable=True)
    receivers: Mapped[list[Any]] = mapped_column(JSON, default=list)               # organisation types
    themes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    main_theme: Mapped[str | None] = mapped_column(Text, nullable=True)
    responded: Mapped[bool] = mapped_column(Boolean, default=False)
    improvements: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    fully_answered: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_in_time: Mapped[bool] = mapped_column(Boolean, default=False)
    answer_outcomes: Mapped[list[Any]] = mapped_column(JSON, default=list)         # [outcome, source] per answer
    area: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the rest of the report's row: main theme and its rule, sub-theme, units from the organisation register
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseHold(Base):
    """A legal hold (a request for public records, a JO/IVO matter): nothing of the case is culled while it is
    not released."""
    __tablename__ = "case_hold"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("bus_case.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    held_by: Mapped[str] = mapped_column(String(200))
    held_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CullingRecord(Base):
    """What one owner's culling (or a personnummer purge, or a person's erasure) removed: kept for ever."""
    __tablename__ = "culling_record"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    as_of: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))              # cull | purge_pnr | erase
    mailbox: Mapped[str] = mapped_column(String(200))          # the owner
    decision: Mapped[str] = mapped_column(Text)                # the decision's reference (dnr)
    who: Mapped[str] = mapped_column(String(200))
    classes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)   # class → items
    first_day: Mapped[date | None] = mapped_column(Date, nullable=True)  # the items received, oldest …
    last_day: Mapped[date | None] = mapped_column(Date, nullable=True)   # … and newest
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)   # {class, item, year, day, sha256, state, …}


class CulledItem(Base):
    """One owner's culling of one item of a class: the item itself goes once every owner holding it has one."""
    __tablename__ = "culled_item"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("culling_record.id"), index=True)
    mailbox: Mapped[str] = mapped_column(String(200))
    cls: Mapped[str] = mapped_column(String(20))
    item: Mapped[str] = mapped_column(String(100))             # message:ID | case:ID
    __table_args__ = (UniqueConstraint("mailbox", "cls", "item"),)
class ReportQuote(Base):
    """An excerpt of a deviation's description or an answer marked as a quote for the yearly report's draft
    (store/quotes.py): stored anonymised, used once a person has approved it."""
    __tablename__ = "report_quote"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("bus_case.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))          # description | answer
    text: Mapped[str] = mapped_column(Text)                   # anonymised
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
