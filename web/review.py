"""Granska to zero in the browser: per mail "Öppna som nytt ärende" (sections 1–3 typed beside the mail and
its files), "Koppla" to a case, "Inte en avvikelse", each followed by "Ångra"; "Avfärdade" lists the dismissed
mail (who, when) with "Ångra"; a mail's attached files downloaded by the secretariat.

Its routes come before web/actions.py's in web/app.py: "/granska/koppla" and "/granska/inte-avvikelse" are
answered here (the same form fields), with the "Ångra" that follows them."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from store import corrections, review, views, views_review
from store.corrections import CorrectionError
from store.mail_view import attachment, mail_text
from web import choices, messages
from web.context import Ctx

UNDO = {"oppna": "Ångra: ta bort ärendet och lägg tillbaka mejlet i Granska",
        "koppla": "Ångra: koppla bort mejlet igen", "avfarda": "Ångra: visa mejlet i Granska igen"}
ENTRY_FIELDS = ("event_type", "description", "reported_date", "units_involved", "proposed_action", "reporter_unit",
                "reporter_contact_person", "reporter_email", "reporter_manager_name", "reporter_manager_email",
                "reporter_org_type", "receiver_org_types")


def _who(ctx: Ctx) -> str:
    assert ctx.account is not None
    return ctx.account.name


def _to(path: str, **query: str) -> Response:
    """A redirect with a message by code (web/messages.py), never free text in the URL."""
    assert query.get("klart", "") in ("", *messages.NOTICES) and query.get("fel", "") in ("", *messages.ERRORS)
    values = {k: v for k, v in query.items() if v}
    return RedirectResponse(path + ("?" + urlencode(values, quote_via=quote) if values else ""), status_code=303)


def undo_offer(params: Any) -> tuple[str, str, str] | None:
    """(what, message pk, button text) of the "Ångra" a page offers after a one-click action."""
    what, pk = params.get("angra", ""), params.get("mejl", "")
    return (what, pk, UNDO[what]) if what in UNDO and pk.isdigit() else None


async def _write(ctx: Ctx, fn: Callable[[Session], Any]) -> tuple[Any, str]:
    """(result, "") or (None, the Swedish refusal)."""
    def work() -> Any:
        with ctx.web.db.session(write=True) as session:
            return fn(session)
    try:
        return await ctx.db(work), ""
    except CorrectionError as exc:
        return None, str(exc)[:300]


def _message_id(session: Session, pk: str) -> str:
    found = views.message_id_of(session, int(pk)) if pk.isdigit() else None
    if not found:
        raise CorrectionError("inget sådant mejl")
    return found


async def link(ctx: Ctx) -> Response:
    """Granska's "Koppla": the mail to the case typed (or suggested); then "Ångra" unlinks it."""
    pk, case_id = ctx.field("message"), ctx.field("case_id").upper()
    if not case_id:
        return _to("/granska", fel="ange-arende")
    _, error = await _write(ctx, lambda s: corrections.link(s, _message_id(s, pk), case_id, _who(ctx), ctx.web.rules))
    if error:
        return _to("/granska", fel="koppla-fel")
    return _to("/granska", klart="kopplat", angra="koppla", mejl=pk)


async def dismiss(ctx: Ctx) -> Response:
    """Granska's "Inte en avvikelse": the mail is kept and listed under Avfärdade; "Ångra" lists it again."""
    pk = ctx.field("message")
    _, error = await _write(ctx, lambda s: review.dismiss(s, _message_id(s, pk), _who(ctx)))
    if error:
        return _to("/granska", fel="avfarda-fel")
    return _to("/granska", klart="avfardat", angra="avfarda", mejl=pk)


async def undo(ctx: Ctx) -> Response:
    what, pk = ctx.field("what"), ctx.field("message")
    back = "/granska/avfardade" if ctx.field("back") == "/granska/avfardade" else "/granska"
    if what == "oppna":
        result, error = await _write(ctx, lambda s: views_review.undo_open(s, _message_id(s, pk), _who(ctx)))
        done = "angrat-oppna"
    elif what == "koppla":
        result, error = await _write(ctx, lambda s: corrections.unlink(s, _message_id(s, pk), _who(ctx),
                                                                       ctx.web.rules))
        done = "angrat-koppla"
    elif what == "avfarda":
        result, error = await _write(ctx, lambda s: review.dismiss(s, _message_id(s, pk), _who(ctx), undo=True))
        done = "angrat-avfarda"
    else:
        return _to(back, fel="okand-angra")
    return _to(back, fel="angra-fel") if error else _to(back, klart=done)


async def dismissed(ctx: Ctx) -> Response:
    from web.pages import _page_number

    page = _page_number(ctx.request.query_params)

    def read() -> Any:
        with ctx.web.db.session() as session:
            return views_review.dismissed_page(session, page)
    return ctx.page("dismissed.html", title="Avfärdade", r=await ctx.db(read),
                    notice=messages.notice(ctx.request.query_params), error=messages.error(ctx.request.query_params))


async def _open_page(ctx: Ctx, values: dict[str, str], error: str = "", status: int = 200) -> Response:
    pk = int(ctx.request.path_params["pk"])

    def read() -> Any:
        with ctx.web.db.session() as session:
            return mail_text(session, pk)
    mail = await ctx.db(read)
    await ctx.log("mail", f"mejl {pk}")
    if mail is None:
        return ctx.page("error.html", status=404, title="Hittades inte", message="Det finns inget sådant mejl.")
    return ctx.page("open_case.html", status=status, title="Öppna som nytt ärende", m=mail, v=values, error=error,
                    org_types=choices.org_types(ctx.web.rules))


async def open_form(ctx: Ctx) -> Response:
    return await _open_page(ctx, {})


def _entry(ctx: Ctx) -> tuple[review.HandEntry, dict[str, str]]:
    values = {k: ctx.field(k) for k in ENTRY_FIELDS if k != "receiver_org_types"}
    receivers = [v.strip() for v in (ctx.form.getlist("receiver_org_types") if ctx.form is not None else [])
                 if isinstance(v, str) and v.strip()]
    values["receiver_org_types"] = "; ".join(receivers)
    units = tuple(u.strip() for u in values["units_involved"].replace("\n", ";").split(";") if u.strip())
    entry = review.HandEntry(
        event_type=values["event_type"], description=values["description"],
        reported_date=values["reported_date"] or None, units_involved=units,
        proposed_action=values["proposed_action"] or None, reporter_unit=values["reporter_unit"] or None,
        reporter_contact_person=values["reporter_contact_person"] or None,
        reporter_email=values["reporter_email"] or None,
        reporter_manager_name=values["reporter_manager_name"] or None,
        reporter_manager_email=values["reporter_manager_email"] or None,
        reporter_org_type=values["reporter_org_type"] or None, receiver_org_types=tuple(receivers))
    return entry, values


async def open_case(ctx: Ctx) -> Response:
    pk = str(ctx.request.path_params["pk"])
    entry, values = _entry(ctx)
    if not entry.event_type or not entry.description:
        return await _open_page(ctx, values, "Fyll i typ av händelse och beskrivning av händelsen.", 400)
    if any(len(v) > 10_000 for v in values.values()):
        return await _open_page(ctx, values, "För lång text.", 400)

    def work(session: Session) -> str:
        case = review.open_by_hand(session, _message_id(session, pk), entry, _who(ctx), ctx.web.rules,
                                   ctx.web.settings.reminders.due_months)
        return case.case_id
    case_id, error = await _write(ctx, work)
    if error:
        return await _open_page(ctx, values, f"Ärendet kunde inte öppnas: {error}", 400)
    return _to("/granska", klart="oppnat", angra="oppna", mejl=pk)


async def download(ctx: Ctx) -> Response:
    """One attached file of a stored mail, always as a download (never shown in the page's origin)."""
    pk, number = int(ctx.request.path_params["pk"]), int(ctx.request.path_params["n"])

    def read() -> Any:
        with ctx.web.db.session() as session:
            return attachment(session, pk, number)
    found = await ctx.db(read)
    await ctx.log("attachment", f"mejl {pk}, bilaga {number}" + ("" if found else " (finns inte)"))
    if found is None:
        return ctx.page("error.html", status=404, title="Hittades inte", message="Det finns ingen sådan bilaga.")
    name, data = found
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "._- ") else "_" for c in name)
    return Response(data, media_type="application/octet-stream", headers={
        "content-disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"})


ROUTES = [
    ("GET", "/granska/avfardade", "reader", dismissed),
    ("GET", "/granska/{pk:int}/nytt-arende", "secretariat", open_form),
    ("POST", "/granska/{pk:int}/nytt-arende", "secretariat", open_case),
    ("POST", "/granska/koppla", "secretariat", link),
    ("POST", "/granska/inte-avvikelse", "secretariat", dismiss),
    ("POST", "/granska/angra", "secretariat", undo),
    ("GET", "/mejl/{pk:int}/bilaga/{n:int}", "secretariat", download),
]
