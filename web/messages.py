"""The site's own messages after an action, by code: a redirect carries `?klart=kod` or `?fel=kod`, never free
text (no personnummer or mail text in an address bar, a history or a proxy log, and nobody can make the site
show a text of their choosing: an unknown code shows nothing)."""
from __future__ import annotations

from collections.abc import Mapping

NOTICES = {
    "status": "Status ändrad.",
    "falt": "Fältet är ändrat.",
    "kopplat": "Meddelandet är kopplat till ärendet.",
    "bortkopplat": "Meddelandet är bortkopplat och ligger nu under Granska.",
    "inte-avvikelse": "Mejlet är markerat som inte en avvikelse och visas inte längre här.",
    "vantas": "Mottagaren väntas svara igen.",
    "vantas-inte": "Mottagaren väntas inte svara.",
    "utfall": "Svarets utfall är sparat.",
    "sparrat": "Ärendet är spärrat för gallring.",
    "sparr-havd": "Spärren är hävd.",
    "avfardat": "Mejlet är markerat som inte en avvikelse och ligger under Avfärdade.",
    "oppnat": "Ärendet är öppnat från mejlet.",
    "angrat-oppna": "Ärendet är borttaget och mejlet ligger i Granska igen.",
    "angrat-koppla": "Mejlet är bortkopplat och ligger i Granska igen.",
    "angrat-avfarda": "Mejlet visas i Granska igen.",
    "citat-sparat": "Citatet är sparat, avidentifierat. Det kommer med i rapportutkastet när det är godkänt.",
    "citat-godkant": "Citatet är godkänt.",
    "citat-borttaget": "Citatet är borttaget.",
    "svar-registrerat": "Svaret är registrerat.",
    "svar-borttaget": "Svaret är borttaget; mottagaren väntar på svar igen om inget annat svar finns.",
    "bekraftade": "De föreslagna utfallen är bekräftade.",
    "inga-forslag": "Det fanns inga föreslagna utfall att bekräfta.",
    "ny-adress": "Mottagarens adress är bytt. Mottagaren väntar på svar och nästa påminnelse går till den nya "
                 "adressen.",
    "pausade": "De markerade ärendena är pausade.",
    "avfardade": "De markerade mejlen är markerade som inte en avvikelse och ligger under Avfärdade.",
}
ERRORS = {
    "okand-status": "Okänd status. Välj Stäng ärendet, Pausa eller Öppna igen.",
    "okant-falt": "Det fältet går inte att rätta här.",
    "for-lang": "Texten är för lång (högst 10 000 tecken).",
    "inte-bland-valen": "Värdet finns inte bland reglernas val. Välj ett av alternativen i listan.",
    "datum": "Datumet kunde inte läsas. Skriv det som 19 augusti 2026, 2026-08-19 eller 19/8 2026.",
    "datum-utanfor": "Datumet ligger utanför de år som godtas (från 1990 till och med nästa år).",
    "ja-nej": "Ange ja eller nej.",
    "inget-arende": "Ärendet finns inte.",
    "inget-meddelande": "Meddelandet finns inte.",
    "annat-arende": "Meddelandet hör inte till det här ärendet. Ladda om sidan och försök igen.",
    "ange-arende": "Ange ett ärende (BUS-ÅÅÅÅ-NNNN).",
    "ursprungsmejlet": "Ärendets eget ursprungsmejl kan inte kopplas bort eller kopplas till ett annat ärende.",
    "inte-kopplat": "Meddelandet är inte kopplat till något ärende.",
    "ange-vantas": "Ange om mottagaren väntas svara.",
    "ingen-mottagare": "Ärendet har ingen sådan mottagare.",
    "har-svarat": "Mottagaren har redan svarat.",
    "ogiltig-adress": "Den nya adressen är ingen e-postadress. Skriv den som namn.efternamn@exempel.se.",
    "adress-finns": "Den adressen är redan mottagare i ärendet, eller samma som den gamla.",
    "inget-svar": "Meddelandet är inte ett svar i det här ärendet.",
    "okant-utfall": "Utfallet finns inte bland reglernas val.",
    "andrat": "Någon annan har ändrat detta sedan du öppnade sidan. Ladda om sidan, se ändringen och försök igen.",
    "ej-sparat": "Ändringen kunde inte sparas. Ladda om sidan och försök igen.",
    "redan-avfardat": "Mejlet är redan hanterat.",
    "koppla-fel": "Mejlet kunde inte kopplas. Kontrollera ärendenumret och försök igen.",
    "avfarda-fel": "Mejlet kunde inte markeras. Ladda om sidan och försök igen.",
    "okand-angra": "Okänd åtgärd att ångra.",
    "angra-fel": "Det gick inte att ångra: något annat hänger nu på mejlet eller ärendet.",
    "citat-fel": "Citatet kunde inte sparas. Kontrollera att utdraget finns i ärendets text och försök igen.",
    "ange-kanal": "Välj hur mottagaren svarade (telefon, möte, mejl direkt till rapportören, annat).",
    "for-lang-anteckning": "Anteckningen är för lång (högst 2 000 tecken).",
    "valj-arende": "Välj minst ett ärende.",
    "valj-mejl": "Välj minst ett mejl.",
    "valj-utfall": "Välj ett utfall.",
    "ange-skal": "Ange ett skäl för spärren (till exempel en begäran om allmän handling), högst 2 000 tecken.",
}


def notice(params: Mapping[str, str]) -> str:
    """The fixed text of `?klart=kod` ("" for none or an unknown code)."""
    return NOTICES.get(params.get("klart", ""), "")


def error(params: Mapping[str, str]) -> str:
    """The fixed text of `?fel=kod` ("" for none or an unknown code)."""
    return ERRORS.get(params.get("fel", ""), "")
