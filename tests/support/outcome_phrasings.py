"""How receivers really write their answers, in the seeds' Swedish (the 2020 and 2021 annual reports quote
them): (answer text, improvements text or None, the outcome the shipped rules should suggest, None: none).

Used by tests/test_outcome_rules.py and by tools/outcome_coverage.py (coverage before and after a rules change).
"""
from __future__ import annotations

LOST = "Löst genom kommunikationen"
FORB = "Förbättringsförslag"
DELVIS = "Delvis löst"
EJ = "Ej löst"

PHRASINGS: tuple[tuple[str, str | None, str | None], ...] = (
    # Ej löst: different views of what happened, lack of resources, not our remit
    ("Vi delar inte bilden av händelseförloppet. Enligt vår dokumentation skickades kallelsen i tid.", None, EJ),
    ("Vi från habiliteringen upplever inte att vi frångått överenskommelsen.", None, EJ),
    ("Enligt vår bedömning ligger ansvaret för insatsen hos socialtjänsten och inte hos BUP.", None, EJ),
    ("Vi har tyvärr inte resurser att delta i SIP-möten med så kort varsel.", None, EJ),
    ("Vi kan inte se att det har skett någon avvikelse från rutinen från vår sida.", None, EJ),
    ("Vår uppfattning av händelsen skiljer sig från rapportörens.", None, EJ),
    ("Det ingår inte i vårt uppdrag att göra den utredning som efterfrågas.", None, EJ),
    ("Vi har en annan bild av vad som hände på mötet.", None, EJ),
    ("Frågan går inte att lösa på lokal nivå och har skickats till ledningen.", None, EJ),
    ("Vi kan inte ta emot barnet innan utredningen är klar, det följer av vårt uppdrag.", None, EJ),
    ("Vi bestrider att BUP uteblev från mötet; vi var anslutna digitalt hela tiden.", None, EJ),
    ("Vi anser inte att det som beskrivs är en avvikelse.", None, EJ),
    ("Tyvärr saknas det resurser för att kunna erbjuda en tid tidigare.", None, EJ),
    ("Vi delar inte rapportörens beskrivning av händelsen.", None, EJ),
    # Delvis löst: partly solved, further work needed
    ("Frågan är delvis löst, men vi behöver fortsätta dialogen med skolan.", None, DELVIS),
    ("Arbetet med en gemensam rutin har påbörjats men är ännu inte klart.", None, DELVIS),
    ("Ett första möte har hållits och det finns behov av fortsatt utvecklingsarbete.", None, DELVIS),
    ("Den akuta situationen för barnet är löst, men den övergripande frågan kvarstår.", None, DELVIS),
    ("Samverkan har blivit bättre men det finns fortfarande brister i överlämningen.", None, DELVIS),
    ("Vi har gjort en översyn som ännu inte är slutförd.", None, DELVIS),
    ("En del av kallelserna går nu till rätt funktionsbrevlåda, resten återstår att rätta.", None, DELVIS),
    ("Arbetet pågår och vi återkommer när det är klart.", None, DELVIS),
    ("Till viss del har missförståndet retts ut, men ansvarsfrågan behöver lyftas vidare.", None, DELVIS),
    ("Problemet är inte helt löst, men vi har kommit en bit på väg.", None, DELVIS),
    ("Dialogen fortsätter på nästa samverkansmöte.", None, DELVIS),
    ("Delar av problemet är åtgärdade.", None, DELVIS),
    ("Vi har börjat se över rutinen men arbetet är inte färdigt.", None, DELVIS),
    # Förbättringsförslag: a change that should keep it from happening again
    ("Mallen ses över så att det tydligt framgår vem som ska kallas.", None, FORB),
    ("Tack för avvikelsen. Vi kommer att se över rutinen för kallelser.", None, FORB),
    ("Rutinen har uppdaterats så att en ersättare alltid utses vid sjukdom.", None, FORB),
    ("Vi har infört en funktionsbrevlåda som bevakas dagligen.", None, FORB),
    ("Personalen kommer att få utbildning i SIP under hösten.", None, FORB),
    ("Vi föreslår att kommun och region tar fram en gemensam checklista.", None, FORB),
    ("Rutinen ska revideras under våren.", None, FORB),
    ("Vi har förtydligat informationen om remissvägar på vår webbplats.", None, FORB),
    ("Avvikelsen har tagits upp på APT och alla behandlare har påmints om rutinen.", None, FORB),
    ("En ny checklista för utskrivning har tagits fram.", None, FORB),
    ("Framöver skickas kallelser alltid med kopia till funktionsbrevlådan.", None, FORB),
    ("Vi har gjort en lathund för mottagningen.", None, FORB),
    ("Avvikelsen har lett till att vi har ändrat vårt arbetssätt vid överlämningar.", None, FORB),
    ("Behandlaren var sjuk och ersättare hann inte utses.", "Ny rutin för ersättare", FORB),
    # Löst genom kommunikationen: explained, regretted, talked through
    ("Det stämmer att BUP anslöt till SIP-mötet för sent. Detta berodde på teknikstrul. Vi beklagar detta.",
     None, LOST),
    ("Vi har haft ett samtal med rapportören och missförståndet är utrett.", None, LOST),
    ("Efter kontakt med skolan är frågan nu löst.", None, LOST),
    ("Vi ber om ursäkt för det inträffade.", None, LOST),
    ("Vi har pratat med berörd personal och rett ut vad som hände.", None, LOST),
    ("Kallelsen hade hamnat i fel inkorg; vi har nu varit i kontakt med socialsekreteraren.", None, LOST),
    ("Ett nytt SIP-möte är bokat och familjen har fått en tid.", None, LOST),
    ("Vi har förklarat för vårdnadshavarna hur ansvaret är fördelat.", None, LOST),
    ("Vi har pratat ihop oss med skolan och är överens om hur vi går vidare.", None, LOST),
    ("Det var ett missförstånd som nu är utrett.", None, LOST),
    ("Remissen hade inte registrerats; den är nu registrerad och barnet har fått en tid.", None, LOST),
    ("Vi har återkopplat till rapportören per telefon.", None, LOST),
    ("Det var ett förbiseende från vår sida.", None, LOST),
    ("Vi har pratat med rapportören och åtgärdat det.", None, LOST),
    # nothing to suggest from: a person decides
    ("Se bifogat svar.", None, None),
    ("Tack, vi återkommer.", None, None),
    ("Hej! Jag har tagit emot avvikelsen och skickat den vidare till enhetschefen.", None, None),
)
