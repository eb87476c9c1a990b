"""Normalized domain enumerations (domain.md §6.2).

These are the connector's own values, not a site's catalogue keys: the mapping profile of each site translates
catalogue keys into these members (e.g. the Tübingen key `PRIVAT` → `Unterbringungsart.PRIVATWOHNUNG`).
Member value = member name, so serialized records read the same as the code.
"""

from __future__ import annotations

from enum import StrEnum, unique

__all__ = [
    "Abschlussgrund",
    "Anerkennungsverfahren",
    "Aufenthaltsstatus",
    "Einwilligungszweck",
    "Erwerbsstatus",
    "Fallstatus",
    "Geschlecht",
    "Handlungsfeld",
    "Kanal",
    "Kontaktart",
    "Planart",
    "Planstatus",
    "Rolle",
    "Schulabschluss",
    "Sprachniveau",
    "Traeger",
    "Unterbringungsart",
    "Verantwortlich",
    "Zielstatus",
]


@unique
class Geschlecht(StrEnum):
    """Domain enum G."""

    WEIBLICH = "WEIBLICH"
    MAENNLICH = "MAENNLICH"
    DIVERS = "DIVERS"
    OHNE_ANGABE = "OHNE_ANGABE"


@unique
class Aufenthaltsstatus(StrEnum):
    """Domain enum S: residence status; AE_* = Aufenthaltserlaubnis by AufenthG paragraph (domain.md §6.2)."""

    AUFENTHALTSGESTATTUNG = "AUFENTHALTSGESTATTUNG"
    DULDUNG = "DULDUNG"
    DULDUNG_AUSBILDUNG = "DULDUNG_AUSBILDUNG"
    DULDUNG_BESCHAEFTIGUNG = "DULDUNG_BESCHAEFTIGUNG"
    AE_ASYL = "AE_ASYL"
    AE_FLUECHTLING = "AE_FLUECHTLING"
    AE_SUBSIDIAER = "AE_SUBSIDIAER"
    AE_ABSCHIEBUNGSVERBOT = "AE_ABSCHIEBUNGSVERBOT"
    AE_VORUEBERGEHENDER_SCHUTZ = "AE_VORUEBERGEHENDER_SCHUTZ"
    AE_SONSTIGE = "AE_SONSTIGE"
    NIEDERLASSUNGSERLAUBNIS = "NIEDERLASSUNGSERLAUBNIS"
    EINGEBUERGERT = "EINGEBUERGERT"
    AUSREISEPFLICHTIG_OHNE_DULDUNG = "AUSREISEPFLICHTIG_OHNE_DULDUNG"
    UNBEKANNT = "UNBEKANNT"


@unique
class Unterbringungsart(StrEnum):
    """Type of accommodation at the granularity the county report counts (VU / AU / Privatunterkunft).

    Finer site catalogues map onto it: domain `VU_GEMEINSCHAFTSUNTERKUNFT` → VORLAEUFIGE_UNTERBRINGUNG,
    `AU_GEMEINSCHAFTSUNTERKUNFT` and `AU_WOHNUNG_KOMMUNAL` → ANSCHLUSSUNTERBRINGUNG, UMA → JUGENDHILFE.
    """

    VORLAEUFIGE_UNTERBRINGUNG = "VORLAEUFIGE_UNTERBRINGUNG"
    ANSCHLUSSUNTERBRINGUNG = "ANSCHLUSSUNTERBRINGUNG"
    PRIVATWOHNUNG = "PRIVATWOHNUNG"
    JUGENDHILFE = "JUGENDHILFE"
    SONSTIGE = "SONSTIGE"


@unique
class Rolle(StrEnum):
    """Domain enum R: role in the household."""

    HAUPTPERSON = "HAUPTPERSON"
    PARTNER = "PARTNER"
    KIND = "KIND"
    SONSTIGE_ANGEHOERIGE = "SONSTIGE_ANGEHOERIGE"


@unique
class Sprachniveau(StrEnum):
    """German language level (GER / CEFR); A0 = no German yet."""

    A0 = "A0"
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"
    UNBEKANNT = "UNBEKANNT"


@unique
class Erwerbsstatus(StrEnum):
    """Domain enum E."""

    SCHULE = "SCHULE"
    SPRACHKURS = "SPRACHKURS"
    AUSBILDUNG = "AUSBILDUNG"
    STUDIUM = "STUDIUM"
    SV_BESCHAEFTIGT = "SV_BESCHAEFTIGT"
    GERINGFUEGIG = "GERINGFUEGIG"
    SELBSTSTAENDIG = "SELBSTSTAENDIG"
    ARBEITSSUCHEND = "ARBEITSSUCHEND"
    NICHT_ERWERBSFAEHIG = "NICHT_ERWERBSFAEHIG"
    ELTERNZEIT = "ELTERNZEIT"
    UNBEKANNT = "UNBEKANNT"


@unique
class Fallstatus(StrEnum):
    """Domain enum F."""

    ANGEFRAGT = "ANGEFRAGT"
    AKTIV = "AKTIV"
    RUHEND = "RUHEND"
    ABGESCHLOSSEN = "ABGESCHLOSSEN"


@unique
class Abschlussgrund(StrEnum):
    """Domain enum A: reason a case was closed."""

    ZIELE_ERREICHT_SELBSTSTAENDIG = "ZIELE_ERREICHT_SELBSTSTAENDIG"
    HOECHSTDAUER_ERREICHT = "HOECHSTDAUER_ERREICHT"
    NIEDERLASSUNGSERLAUBNIS = "NIEDERLASSUNGSERLAUBNIS"
    KEIN_KONTAKT_8_MONATE = "KEIN_KONTAKT_8_MONATE"
    WEGZUG = "WEGZUG"
    AUSZUG_AUS_ZUSTAENDIGKEIT = "AUSZUG_AUS_ZUSTAENDIGKEIT"
    ABLEHNUNG_WIDERRUF_KLIENT = "ABLEHNUNG_WIDERRUF_KLIENT"
    AUSREISE = "AUSREISE"
    VERSTORBEN = "VERSTORBEN"
    SONSTIGES = "SONSTIGES"


@unique
class Kontaktart(StrEnum):
    """Domain enum K.

    SONDIERUNG is the Sondierungs-/Clearinggespräch, called ERSTGESPRAECH in domain.md §6.2 and Kennzahl
    K04; the member keeps the county's word. KURZKONTAKT and GRUPPENANGEBOT are not Beratungsgespräche (K03).
    """

    SONDIERUNG = "SONDIERUNG"
    BERATUNG = "BERATUNG"
    PLANGESPRAECH = "PLANGESPRAECH"
    BEGLEITUNG = "BEGLEITUNG"
    FALLKONFERENZ = "FALLKONFERENZ"
    KURZKONTAKT = "KURZKONTAKT"
    GRUPPENANGEBOT = "GRUPPENANGEBOT"


@unique
class Kanal(StrEnum):
    """Channel of a contact."""

    PERSOENLICH = "PERSOENLICH"
    HAUSBESUCH = "HAUSBESUCH"
    TELEFON = "TELEFON"
    MESSENGER = "MESSENGER"
    EMAIL = "EMAIL"
    VIDEO = "VIDEO"


@unique
class Handlungsfeld(StrEnum):
    """Domain enum HF: topic of a contact, field of a goal."""

    SPRACHE = "SPRACHE"
    KINDER_FAMILIE_KITA = "KINDER_FAMILIE_KITA"
    SCHULE_BILDUNG = "SCHULE_BILDUNG"
    AUSBILDUNG_STUDIUM = "AUSBILDUNG_STUDIUM"
    ARBEIT_BESCHAEFTIGUNG = "ARBEIT_BESCHAEFTIGUNG"
    WOHNEN = "WOHNEN"
    GESUNDHEIT = "GESUNDHEIT"
    FINANZEN_LEISTUNGEN_BEHOERDEN = "FINANZEN_LEISTUNGEN_BEHOERDEN"
    AUFENTHALT_RECHT = "AUFENTHALT_RECHT"
    SOZIALE_TEILHABE_EHRENAMT_FREIZEIT = "SOZIALE_TEILHABE_EHRENAMT_FREIZEIT"
    SONSTIGES = "SONSTIGES"


@unique
class Planart(StrEnum):
    """Integrationsplan or (Tübingen wording) Integrationszielvereinbarung; both count as plans."""

    INTEGRATIONSPLAN = "INTEGRATIONSPLAN"
    INTEGRATIONSZIELVEREINBARUNG = "INTEGRATIONSZIELVEREINBARUNG"


@unique
class Planstatus(StrEnum):
    """Domain enum P; FORTGESCHRIEBEN = superseded by a later version."""

    ENTWURF = "ENTWURF"
    VEREINBART = "VEREINBART"
    FORTGESCHRIEBEN = "FORTGESCHRIEBEN"
    ABGESCHLOSSEN = "ABGESCHLOSSEN"
    NICHT_ZUSTANDE_GEKOMMEN = "NICHT_ZUSTANDE_GEKOMMEN"


@unique
class Zielstatus(StrEnum):
    """Domain enum Z."""

    OFFEN = "OFFEN"
    IN_BEARBEITUNG = "IN_BEARBEITUNG"
    ERREICHT = "ERREICHT"
    TEILWEISE_ERREICHT = "TEILWEISE_ERREICHT"
    NICHT_ERREICHT = "NICHT_ERREICHT"
    VERWORFEN = "VERWORFEN"


@unique
class Verantwortlich(StrEnum):
    """Domain enum V: who is responsible for a goal."""

    KLIENT = "KLIENT"
    IM = "IM"
    JOBCENTER = "JOBCENTER"
    AGENTUR_FUER_ARBEIT = "AGENTUR_FUER_ARBEIT"
    AUSLAENDERBEHOERDE = "AUSLAENDERBEHOERDE"
    SCHULE = "SCHULE"
    KITA = "KITA"
    SPRACHKURSTRAEGER = "SPRACHKURSTRAEGER"
    MIGRATIONSBERATUNG = "MIGRATIONSBERATUNG"
    GESUNDHEITSWESEN = "GESUNDHEITSWESEN"
    WOHNRAUM_KOMMUNE = "WOHNRAUM_KOMMUNE"
    EHRENAMT_PATE = "EHRENAMT_PATE"
    SONSTIGE = "SONSTIGE"


@unique
class Einwilligungszweck(StrEnum):
    """Domain enum C: purpose of a consent."""

    DATENVERARBEITUNG_IM = "DATENVERARBEITUNG_IM"
    AUSTAUSCH_JOBCENTER = "AUSTAUSCH_JOBCENTER"
    AUSTAUSCH_AGENTUR = "AUSTAUSCH_AGENTUR"
    AUSTAUSCH_AUSLAENDERBEHOERDE = "AUSTAUSCH_AUSLAENDERBEHOERDE"
    AUSTAUSCH_SONSTIGE_STELLE = "AUSTAUSCH_SONSTIGE_STELLE"
    EINBINDUNG_PATE = "EINBINDUNG_PATE"
    EVALUATION = "EVALUATION"


@unique
class Traeger(StrEnum):
    """Type of provider employing an Integrationsmanager/in."""

    LANDRATSAMT = "LANDRATSAMT"
    STADT_GEMEINDE = "STADT_GEMEINDE"
    FREIER_TRAEGER = "FREIER_TRAEGER"


@unique
class Schulabschluss(StrEnum):
    """Highest school qualification (Jobcenter data transfer form)."""

    KEIN_SCHULBESUCH = "KEIN_SCHULBESUCH"
    OHNE_ABSCHLUSS = "OHNE_ABSCHLUSS"
    PRIMARSTUFE = "PRIMARSTUFE"
    SEKUNDARSTUFE_I = "SEKUNDARSTUFE_I"
    SEKUNDARSTUFE_II = "SEKUNDARSTUFE_II"
    UNBEKANNT = "UNBEKANNT"


@unique
class Anerkennungsverfahren(StrEnum):
    """State of the recognition procedure for foreign qualifications."""

    NICHT_ERFORDERLICH = "NICHT_ERFORDERLICH"
    NICHT_BEANTRAGT = "NICHT_BEANTRAGT"
    IN_BERATUNG = "IN_BERATUNG"
    BEANTRAGT = "BEANTRAGT"
    ANERKANNT = "ANERKANNT"
    TEILWEISE_ANERKANNT = "TEILWEISE_ANERKANNT"
    ABGELEHNT = "ABGELEHNT"
    UNBEKANNT = "UNBEKANNT"
