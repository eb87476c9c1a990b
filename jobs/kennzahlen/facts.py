"""Compact per-person, per-case and per-event tuples, built while the records stream past.

Whole records are never kept: each entity is read once, reduced to the few fields the rules need, and
period filters are applied on the way in (contacts outside the period are dropped). Names, free text and
other personal fields never enter these tuples.

A describing field a record lacks (schemas: ``"describing": true``) becomes "unbekannt" in the tuples, so the
record still counts everywhere and sits in the "unbekannt" cell of a breakdown by that field. Where a rule
needs the field to decide whether the record counts at all (Kontaktart, Planstatus, Zweck), the tuple keeps
None and the rule reports the record as not countable (`rules.Uncounted`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from jobs.kennzahlen.breakdowns import UNBEKANNT
from jobs.kennzahlen.params import KennzahlenParams
from jobs.kennzahlen.periods import Period
from schemas import Beratungsfall, Einwilligung, Integrationsplan, Klient, Kontakt, Mitarbeitende
from schemas.enums import Einwilligungszweck, Planstatus, Sprachniveau, Unterbringungsart

__all__ = [
    "CaseFacts",
    "ContactFacts",
    "Facts",
    "PersonFacts",
    "PlanFacts",
    "StaffFacts",
    "unterbringung_am",
    "zielgruppe",
]

COUNTED_PLAN_STATUS = frozenset({Planstatus.VEREINBART, Planstatus.FORTGESCHRIEBEN, Planstatus.ABGESCHLOSSEN})
_UNKNOWN_LEVELS = frozenset({Sprachniveau.UNBEKANNT})


class PersonFacts(NamedTuple):
    akz: str
    geburtsdatum: date | None
    geschlecht: str
    """The member's value, or "unbekannt"."""
    staatsangehoerigkeit: str | None
    aufenthaltsstatus: str | None
    unterbringung_stichtag: str
    """Unterbringungsart on the Stichtag; "unbekannt" when enaio holds none and the AU dates do not tell."""
    kommune: str
    """Wohnkommune, or "unbekannt"."""
    zielgruppe: bool
    sprachniveau: str | None
    """Level known on the Stichtag (assessed on or before it), else None."""
    au_zu_privat: bool
    """Moved out of AU in the period and lives privately now (K17)."""
    auszug_ohne_art: bool = False
    """Moved out of AU in the period, but today's Unterbringungsart is missing: K17 cannot tell."""


class CaseFacts(NamedTuple):
    fall_id: int
    akz: str
    fallbeginn: date
    fallende: date | None
    status: str | None
    abschlussgrund: str | None
    im: str
    """Personalnummer, or "unbekannt"."""
    team: str
    """Regionalteam, or "unbekannt"."""
    verlaengert_bis: date | None
    begruendet: bool

    def active_on(self, day: date) -> bool:
        """Cared for on `day`: begun on or before it and not ended on or before it (docs/demo-county.md).

        FALLSTATUS is not used: it is today's status, not the status on `day`.
        """
        return self.fallbeginn <= day and (self.fallende is None or self.fallende > day)

    def overlaps(self, start: date, end: date) -> bool:
        """Running on at least one day of [start, end]."""
        return self.fallbeginn <= end and (self.fallende is None or self.fallende >= start)


class ContactFacts(NamedTuple):
    contact_id: int
    fall_id: int
    akz: str
    kontaktart: str | None
    """None: the contact lacks its Kontaktart; the contact figures cannot tell whether it counts."""
    themen: tuple[str, ...]
    im: str | None
    weitere: tuple[str, ...]


class PlanFacts(NamedTuple):
    plan_id: int
    fall_id: int
    akz: str
    version: int
    vereinbart_am: date
    im: str | None
    weitere: tuple[str, ...]
    ziele: tuple[tuple[str, str, date | None], ...]
    """(handlungsfeld, zielstatus, statusdatum) per goal; a missing Handlungsfeld or status is "unbekannt"."""


class StaffFacts(NamedTuple):
    personalnummer: str
    team: str | None
    vzae: Decimal
    gueltig_ab: date
    gueltig_bis: date | None
    foerderfaehig: bool


def zielgruppe(klient: Klient, cutoff: date) -> bool:
    """Target group of the funding application: IM transferred and living in AU on the cut-off day."""
    if not klient.im_uebertragen or klient.zuzug_au is None or klient.zuzug_au > cutoff:
        return False
    return klient.auszug_au is None or klient.auszug_au > cutoff


def unterbringung_am(klient: Klient, day: date) -> str:
    """Accommodation type on `day` (docs/kennzahlen.md, "Unterbringungsart am Stichtag").

    enaio keeps only the current type and the day it began; an earlier day is reconstructed from the AU dates.
    Without a current type (a describing field) the answer is "unbekannt" unless the AU dates decide it.
    """
    current = klient.unterbringungsart.value if klient.unterbringungsart is not None else UNBEKANNT
    if klient.unterbringung_seit is not None and klient.unterbringung_seit <= day:
        return current
    zuzug, auszug = klient.zuzug_au, klient.auszug_au
    if zuzug is not None and zuzug <= day and (auszug is None or auszug > day):
        return Unterbringungsart.ANSCHLUSSUNTERBRINGUNG.value
    if klient.unterbringung_seit is None:
        return current
    if auszug is not None and auszug <= day:
        return Unterbringungsart.PRIVATWOHNUNG.value
    # Not yet in AU (or never): before the current accommodation the person lived in the VU.
    return Unterbringungsart.VORLAEUFIGE_UNTERBRINGUNG.value


@dataclass
class Facts:
    """Everything the rules look at, for one period and Stichtag."""

    period: Period
    params: KennzahlenParams
    persons: dict[str, PersonFacts] = field(default_factory=dict)
    cases: dict[int, CaseFacts] = field(default_factory=dict)
    contacts: list[ContactFacts] = field(default_factory=list)
    plans: list[PlanFacts] = field(default_factory=list)
    jobcenter_consent: set[str] = field(default_factory=set)
    """Aktenzeichen with an AUSTAUSCH_JOBCENTER consent valid on the Stichtag."""
    consent_without_purpose: set[str] = field(default_factory=set)
    """Aktenzeichen with a consent valid on the Stichtag whose Zweck is missing (K18 cannot tell)."""
    plans_without_status: list[PlanFacts] = field(default_factory=list)
    """Agreed (dated) plans whose Planstatus is missing: the plan figures cannot tell whether they count."""
    staff: list[StaffFacts] = field(default_factory=list)

    def add_klienten(self, records: Iterable[Klient]) -> None:
        stichtag, cutoff = self.period.stichtag, self.params.zielgruppe.cutoff
        for k in records:
            level: str | None = None
            if (
                k.sprachniveau_deutsch is not None
                and k.sprachniveau_deutsch not in _UNKNOWN_LEVELS
                and (k.sprachniveau_datum is None or k.sprachniveau_datum <= stichtag)
            ):
                level = k.sprachniveau_deutsch.value
            self.persons[k.aktenzeichen] = PersonFacts(
                akz=k.aktenzeichen,
                geburtsdatum=k.geburtsdatum,
                geschlecht=k.geschlecht.value if k.geschlecht is not None else UNBEKANNT,
                staatsangehoerigkeit=k.staatsangehoerigkeit,
                aufenthaltsstatus=k.aufenthaltsstatus.value if k.aufenthaltsstatus else None,
                unterbringung_stichtag=unterbringung_am(k, stichtag),
                kommune=k.wohnkommune if k.wohnkommune is not None else UNBEKANNT,
                zielgruppe=zielgruppe(k, cutoff),
                sprachniveau=level,
                au_zu_privat=self.period.contains(k.auszug_au)
                and k.unterbringungsart is Unterbringungsart.PRIVATWOHNUNG,
                auszug_ohne_art=self.period.contains(k.auszug_au) and k.unterbringungsart is None,
            )

    def add_faelle(self, records: Iterable[Beratungsfall]) -> None:
        for f in records:
            self.cases[f.enaio_id] = CaseFacts(
                fall_id=f.enaio_id,
                akz=f.aktenzeichen,
                fallbeginn=f.fallbeginn,
                fallende=f.fallende,
                status=f.fallstatus.value if f.fallstatus is not None else None,
                abschlussgrund=f.abschlussgrund.value if f.abschlussgrund else None,
                im=f.integrationsmanager or UNBEKANNT,
                team=f.regionalteam or UNBEKANNT,
                verlaengert_bis=f.verlaengert_bis,
                begruendet=bool(f.begruendung_verlaengerung and f.begruendung_verlaengerung.strip()),
            )

    def add_kontakte(self, records: Iterable[Kontakt]) -> None:
        for c in records:
            if not self.period.contains(c.datum):
                continue
            self.contacts.append(
                ContactFacts(
                    contact_id=c.enaio_id,
                    fall_id=c.fall_enaio_id,
                    akz=c.aktenzeichen,
                    kontaktart=c.kontaktart.value if c.kontaktart is not None else None,
                    themen=tuple(t.value for t in c.themen),
                    im=c.integrationsmanager,
                    weitere=tuple(a for a in c.weitere_teilnehmende if a != c.aktenzeichen),
                )
            )

    def add_plaene(self, records: Iterable[Integrationsplan]) -> None:
        horizon = max(self.period.end, self.period.stichtag)
        for p in records:
            if p.vereinbart_am is None or p.vereinbart_am > horizon:
                continue
            if p.planstatus is not None and p.planstatus not in COUNTED_PLAN_STATUS:
                continue
            facts = PlanFacts(
                plan_id=p.enaio_id,
                fall_id=p.fall_enaio_id,
                akz=p.aktenzeichen,
                version=p.planversion,
                vereinbart_am=p.vereinbart_am,
                im=p.integrationsmanager,
                weitere=tuple(a for a in p.weitere_personen if a != p.aktenzeichen),
                ziele=tuple(
                    (
                        z.handlungsfeld.value if z.handlungsfeld is not None else UNBEKANNT,
                        z.zielstatus.value if z.zielstatus is not None else UNBEKANNT,
                        z.statusdatum,
                    )
                    for z in p.ziele
                ),
            )
            if p.planstatus is None:
                self.plans_without_status.append(facts)
            else:
                self.plans.append(facts)

    def add_einwilligungen(self, records: Iterable[Einwilligung]) -> None:
        for e in records:
            if not e.gilt_am(self.period.stichtag):
                continue
            if e.zweck is Einwilligungszweck.AUSTAUSCH_JOBCENTER:
                self.jobcenter_consent.add(e.aktenzeichen)
            elif e.zweck is None:
                self.consent_without_purpose.add(e.aktenzeichen)

    def add_mitarbeitende(self, records: Iterable[Mitarbeitende]) -> None:
        for m in records:
            self.staff.append(
                StaffFacts(
                    m.personalnummer, m.regionalteam, m.vzae, m.gueltig_ab, m.gueltig_bis, m.foerderfaehig
                )
            )
