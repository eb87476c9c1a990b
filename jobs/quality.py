"""Data-quality report for staff (German): what to fix in enaio, per Integrationsmanager*in.

Checks (each with a hand-built test that makes it fire, tests/test_quality_checks.py):

- ``pflichtdaten``: objects the mapping layer quarantined because an identifying field (id, link to case or
  person, the date that places the object, Personalnummer, VZÄ) is missing or invalid;
- ``beschreibende_angaben``: records kept with a describing field empty (Träger, Regionalteam, Geschlecht,
  Wohnkommune, Kontaktart, …), one line per field; persons are assigned to the Integrationsmanager*in of
  their case;
- ``kontakt_ohne_fall``: contacts whose case was not read (missing or quarantined);
- ``kontakt_ausserhalb_fall``: contacts dated outside the running time of their case;
- ``plan_ohne_ziele``: agreed plans without goals;
- ``hoechstdauer``: cases past the 3-year maximum on the Stichtag without a justified extension (K13 "ohne").

Texts are German; field names and catalogue values appear as the labels of the site's object definition
(``Regionalteam`` "Team Nord", Planstatus "vereinbart"), not as keys. Every line links to the object in
enaio's web client. Staff-facing: Personalnummer and Aktenzeichen appear, names and free text never.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Final, NamedTuple, Protocol

from connector.enaio.client import EnaioClient
from connector.enaio.model import EnaioObject
from connector.enaio.objdef import ObjectDefinition
from connector.errors import NotFoundError
from jobs.kennzahlen.outputs.fmt import de_date, neutralize_formula
from jobs.kennzahlen.staging import Staging, check_out_dir
from mappings import MappingProfile, Quarantine, QuarantineEntry
from schemas import (
    Beratungsfall,
    Einwilligung,
    Integrationsplan,
    Klient,
    Kontakt,
    Mitarbeitende,
    Record,
    describing_fields,
    hoechstdauer_bis,
)
from schemas.enums import Planstatus

__all__ = [
    "CHECKS",
    "QUALITY_COLUMNS",
    "QUALITY_FILES",
    "ObjectSource",
    "QualityCollector",
    "QualityIssue",
    "QualityLabels",
    "enaio_link",
    "profile_type_ids",
    "stage_quality",
    "write_quality",
]

UNBEKANNT: Final = "(nicht zuzuordnen)"
CHECKS: Final = {
    "pflichtdaten": "Pflichtangaben fehlen oder sind ungültig",
    "beschreibende_angaben": "Beschreibende Angaben fehlen oder sind ungültig",
    "kontakt_ohne_fall": "Gesprächsvermerk ohne auswertbaren Fall",
    "kontakt_ausserhalb_fall": "Gesprächsvermerk außerhalb der Laufzeit des Falls",
    "plan_ohne_ziele": "Vereinbarter Integrationsplan ohne Ziele",
    "hoechstdauer": "Fall über der Höchstdauer ohne begründete Verlängerung",
}
QUALITY_COLUMNS: Final = (
    "integrationsmanager",
    "regionalteam",
    "pruefung",
    "aktenzeichen",
    "objekttyp",
    "enaio_id",
    "datum",
    "hinweis",
    "link",
)
_PLAN_AGREED: Final = frozenset({Planstatus.VEREINBART, Planstatus.FORTGESCHRIEBEN, Planstatus.ABGESCHLOSSEN})
QUALITY_FILES: Final = ("quality.csv", "quality.html")
_ENTITY_OF: Final[Mapping[type[Record], str]] = {
    Klient: "klient",
    Beratungsfall: "beratungsfall",
    Kontakt: "kontakt",
    Integrationsplan: "integrationsplan",
    Einwilligung: "einwilligung",
    Mitarbeitende: "mitarbeitende",
}
_REASONS: Final[Mapping[str, str]] = {
    "missing": "fehlt",
    "invalid_value": "ungültiger Wert",
    "enum": "kein zulässiger Katalogwert",
    "literal_error": "kein zulässiger Katalogwert",
    "ancestor_missing": "keiner Klientenakte bzw. keinem Fall zugeordnet",
    "string_pattern_mismatch": "ungültiges Format",
    "string_too_short": "leer",
    "string_too_long": "zu lang",
    "checkbox": "kein Ja/Nein-Wert",
    "int_parsing": "keine ganze Zahl",
    "decimal_parsing": "keine Zahl",
    "greater_than": "Zahl zu klein",
    "greater_than_equal": "Zahl zu klein",
    "less_than": "Zahl zu groß",
    "less_than_equal": "Zahl zu groß",
    "value_error": "widerspricht einer Regel (z. B. Datumsfolge)",
}


@cache
def _describing(model: type[Record]) -> tuple[str, ...]:
    return tuple(sorted(describing_fields(model)))


def german_reason(reason: str) -> str:
    """``missing: required value is missing`` -> ``fehlt`` (the error type decides; never a value)."""
    kind = reason.split(":", 1)[0].strip()
    return _REASONS.get(kind, "ungültig")


def _note(label: str, what: str) -> str:
    """``Träger fehlt``; ``Geschlecht: kein zulässiger Katalogwert``."""
    return f"{label} {what}" if what == "fehlt" else f"{label}: {what}"


class ObjectSource(Protocol):
    """What the quarantine lookup needs of a client (``EnaioClient`` is one)."""

    def get(self, object_id: int) -> EnaioObject: ...


@dataclass(frozen=True, order=True)
class QualityIssue:
    integrationsmanager: str
    pruefung: str
    aktenzeichen: str
    enaio_id: int
    objekttyp: str
    regionalteam: str = ""
    datum: date | None = None
    hinweis: str = ""


class _Case(NamedTuple):
    beginn: date
    ende: date | None
    im: str
    team: str


class _Gap(NamedTuple):
    """A record kept with describing fields empty: who it belongs to, and which fields."""

    entity: str
    enaio_id: int
    enaio_type: str
    akz: str
    im: str | None
    team: str
    datum: date | None
    fields: tuple[str, ...]


def enaio_link(base_url: str, osid: int, type_id: int | None) -> str:
    suffix = "" if type_id is None else f"&objecttypeid={type_id}"
    return f"{base_url.rstrip('/')}/osweb/#/entry?osid={osid}{suffix}"


class QualityLabels:
    """German display names from the site's object definition: field names and catalogue values.

    The schema field is traced through the mapping profile to the enaio field (or table column) it is read
    from; a value is traced back through the profile's ``values`` to the site's catalogue key. Without an
    object definition the schema names and values are shown.
    """

    def __init__(self, objdef: ObjectDefinition | None = None, profile: MappingProfile | None = None) -> None:
        self.objdef = objdef
        self.profile = profile

    def _source(self, entity: str, path: str) -> tuple[str | None, str | None, str | None]:
        """(object type, enaio field, table column) behind a dotted schema field, as far as known."""
        if self.profile is None:
            return None, None, None
        mapping = self.profile.entities.get(entity)
        parts = [p for p in path.split(".") if not p.isdigit()]
        fm = mapping.fields.get(parts[0]) if mapping is not None and parts else None
        if mapping is None or fm is None:
            return None, None, None
        if len(parts) > 1:
            inner = fm.columns if fm.table is not None else fm.fields
            sub = (inner or {}).get(parts[1])
            if sub is None:
                return None, None, None
            if fm.table is not None:
                return mapping.type, fm.table, sub.column
            return fm.children, sub.field, None
        return fm.ancestor or mapping.type, fm.field, None

    def field(self, entity: str, path: str) -> str:
        """``regionalteam`` -> ``Regionalteam``; ``ziele.1.zielstatus`` -> ``Ziel 2: Zielstatus``."""
        parts = path.split(".")
        index = next((int(p) for p in parts if p.isdigit()), None)
        name = parts[-1]
        type_name, field_name, column = self._source(entity, path)
        if self.objdef is not None and type_name and field_name:
            try:
                fd = self.objdef.type_by_name(type_name).field(field_name)
                name = fd.column(column).name if column else fd.name
            except KeyError:
                pass
        return name if index is None else f"Ziel {index + 1}: {name}"

    def value(self, entity: str, path: str, value: str) -> str:
        """A catalogue value's label (``MOESSINGEN`` -> ``Mössingen``); the value itself if unknown."""
        type_name, field_name, column = self._source(entity, path)
        if self.objdef is None or not type_name or not field_name or not value:
            return value
        try:
            fd = self.objdef.type_by_name(type_name).field(field_name)
            catalogue_name = fd.column(column).catalogue if column else fd.catalogue
        except KeyError:
            return value
        catalogue = self.objdef.catalogues.get(catalogue_name) if catalogue_name else None
        if catalogue is None:
            return value
        key = value
        mapping = self.profile.entities.get(entity) if self.profile else None
        fm = mapping.fields.get(path.split(".")[0]) if mapping is not None else None
        if fm is not None and fm.values:
            key = next((site for site, member in fm.values.items() if member == value), value)
        if key not in catalogue.rows:
            return value
        return catalogue.label(key, self.objdef.default_language)

    def team(self, value: str) -> str:
        return self.value("beratungsfall", "regionalteam", value) if value else value


@dataclass
class QualityCollector:
    """Fed with every record of the run (see jobs.kennzahlen.live.tap); keeps only case spans and issues.

    Records come in the order of ``jobs.kennzahlen.job.ENTITIES_READ`` (cases before contacts and plans).
    Issues that need the object definition's labels or the cases of a person are completed by
    :meth:`add_quarantine` (or :meth:`resolve`), which the jobs call after reading.
    """

    stichtag: date
    issues: list[QualityIssue] = field(default_factory=list)
    labels: QualityLabels = field(default_factory=QualityLabels)
    _cases: dict[int, _Case] = field(default_factory=dict)
    _case_of_person: dict[str, _Case] = field(default_factory=dict)
    _gaps: dict[int, _Gap] = field(default_factory=dict)
    _plans: list[tuple[Integrationsplan, _Case | None]] = field(default_factory=list)
    _kept: dict[int, list[QuarantineEntry]] = field(default_factory=dict)
    _resolved: bool = False

    def add(self, record: Record) -> None:
        self._note_gaps(record)
        if isinstance(record, Beratungsfall):
            self._add_case(record)
        elif isinstance(record, Kontakt):
            self._add_contact(record)
        elif isinstance(record, Integrationsplan):
            self._add_plan(record)

    def _note_gaps(self, record: Record) -> None:
        entity = _ENTITY_OF.get(type(record))
        if entity is None:
            return
        describing = _describing(type(record))
        missing = [name for name in describing if "." not in name and getattr(record, name) is None]
        if isinstance(record, Integrationsplan):
            nested = [name.split(".", 1)[1] for name in describing if name.startswith("ziele.")]
            for index, ziel in enumerate(record.ziele):
                missing.extend(f"ziele.{index}.{name}" for name in nested if getattr(ziel, name) is None)
        if not missing:
            return
        akz = str(getattr(record, "aktenzeichen", "") or "")
        im: str | None = getattr(record, "integrationsmanager", None)
        team = ""
        datum: date | None = None
        if isinstance(record, Mitarbeitende):
            im, team, datum = record.personalnummer, record.regionalteam or "", record.gueltig_ab
        elif isinstance(record, Beratungsfall):
            team, datum = record.regionalteam or "", record.fallbeginn
        elif isinstance(record, Kontakt):
            datum = record.datum
        elif isinstance(record, Integrationsplan):
            datum = record.vereinbart_am
        elif isinstance(record, Einwilligung):
            datum = record.erteilt_am
        fall_id = getattr(record, "fall_enaio_id", None)
        if fall_id is not None and (case := self._cases.get(fall_id)) is not None:
            im = im or case.im
            team = team or case.team
        self._gaps[record.enaio_id] = _Gap(
            entity, record.enaio_id, record.enaio_type, akz, im, team, datum, tuple(missing)
        )

    def _add_case(self, f: Beratungsfall) -> None:
        case = _Case(f.fallbeginn, f.fallende, f.integrationsmanager or UNBEKANNT, f.regionalteam or "")
        self._cases[f.enaio_id] = case
        known = self._case_of_person.get(f.aktenzeichen)
        if known is None or known.beginn <= f.fallbeginn:
            self._case_of_person[f.aktenzeichen] = case  # the person's latest case assigns her gaps
        active = f.fallbeginn <= self.stichtag and (f.fallende is None or f.fallende > self.stichtag)
        limit = hoechstdauer_bis(f.fallbeginn)
        if not active or self.stichtag <= limit:
            return
        justified = f.verlaengert_bis is not None and f.verlaengert_bis >= self.stichtag
        if justified:
            return
        if f.verlaengert_bis is None:
            hint = f"Höchstdauer bis {de_date(limit)} überschritten, keine Verlängerung eingetragen"
        else:
            hint = f"Verlängerung bis {de_date(f.verlaengert_bis)} abgelaufen"
        self.issues.append(
            QualityIssue(
                case.im,
                "hoechstdauer",
                f.aktenzeichen,
                f.enaio_id,
                f.enaio_type,
                case.team,
                f.fallbeginn,
                hint,
            )
        )

    def _add_contact(self, k: Kontakt) -> None:
        case = self._cases.get(k.fall_enaio_id)
        if case is None:
            # Before: silently skipped. The case is missing or quarantined, so no figure by case sees it.
            self.issues.append(
                QualityIssue(
                    k.integrationsmanager or UNBEKANNT,
                    "kontakt_ohne_fall",
                    k.aktenzeichen,
                    k.enaio_id,
                    k.enaio_type,
                    "",
                    k.datum,
                    f"Beratungsfall (enaio-ID {k.fall_enaio_id}) fehlt oder ist nicht auswertbar",
                )
            )
            return
        if k.datum < case.beginn:
            hint = f"Datum vor Fallbeginn {de_date(case.beginn)}"
        elif case.ende is not None and k.datum > case.ende:
            hint = f"Datum nach Fallende {de_date(case.ende)}"
        else:
            return
        self.issues.append(
            QualityIssue(
                k.integrationsmanager or case.im,
                "kontakt_ausserhalb_fall",
                k.aktenzeichen,
                k.enaio_id,
                k.enaio_type,
                case.team,
                k.datum,
                hint,
            )
        )

    def _add_plan(self, p: Integrationsplan) -> None:
        if p.ziele or p.planstatus not in _PLAN_AGREED:
            return
        self._plans.append((p, self._cases.get(p.fall_enaio_id)))

    def add_quarantine(
        self, quarantine: Quarantine, client: ObjectSource | None, profile: MappingProfile
    ) -> None:
        """One issue per quarantined object (IM and Aktenzeichen looked up in enaio where possible), and the
        issues that wait for labels or for the cases of a person (describing gaps, plans without goals)."""
        objdef_of: Callable[[], ObjectDefinition] | None = getattr(client, "object_definition", None)
        if self.labels.objdef is None and callable(objdef_of):
            self.labels = QualityLabels(objdef_of(), profile)
        elif self.labels.profile is None:
            self.labels = QualityLabels(self.labels.objdef, profile)
        for entry in quarantine.kept:
            self._kept.setdefault(entry.enaio_id, []).append(entry)
        by_object: dict[tuple[str, int], list[QuarantineEntry]] = {}
        for entry in quarantine.entries:
            by_object.setdefault((entry.entity, entry.enaio_id), []).append(entry)
        for (entity, osid), entries in sorted(by_object.items()):
            im, akz, team = _lookup(client, profile, entity, osid)
            self.issues.append(
                QualityIssue(
                    im,
                    "pflichtdaten",
                    akz,
                    osid,
                    entries[0].enaio_type,
                    team,
                    None,
                    self._hints(entity, entries),
                )
            )
        self._kept_without_record(client, profile)
        self.resolve()

    def _hints(self, entity: str, entries: Iterable[QuarantineEntry]) -> str:
        hints: list[str] = []
        for entry in entries:
            what = german_reason(entry.reason)
            hint = _note(self.labels.field(entity, entry.field) if entry.field else "Datensatz", what)
            if hint not in hints:
                hints.append(hint)
        return "; ".join(hints)

    def _kept_without_record(self, client: ObjectSource | None, profile: MappingProfile) -> None:
        """Invalid optional values the reader left empty (no describing marker, so `add` did not see them)."""
        for osid, entries in sorted(self._kept.items()):
            if osid in self._gaps:
                continue
            entity = entries[0].entity
            im, akz, team = _lookup(client, profile, entity, osid)
            self._gaps[osid] = _Gap(
                entity,
                osid,
                entries[0].enaio_type,
                akz,
                None if im == UNBEKANNT else im,
                team,
                None,
                tuple(e.field or "" for e in entries),
            )

    def _mapped(self, entity: str, name: str) -> bool:
        profile = self.labels.profile
        if profile is None:
            return True
        mapping = profile.entities.get(entity)
        return mapping is None or name.split(".")[0] in mapping.fields

    def resolve(self) -> None:
        """Turn the waiting gaps and plans into issues (once); labels as known by now."""
        if self._resolved:
            return
        self._resolved = True
        for gap in sorted(self._gaps.values()):
            case = self._case_of_person.get(gap.akz)
            im = gap.im or (case.im if case else UNBEKANNT)
            team = gap.team or (case.team if case else "")
            reasons = {e.field: e.reason for e in self._kept.get(gap.enaio_id, [])}
            extra = tuple(sorted(name for name in reasons if name and name not in gap.fields))
            for name in (*gap.fields, *extra):
                if not self._mapped(gap.entity, name):
                    continue  # the site has no such field: not a gap of this record
                what = german_reason(reasons.get(name, "missing"))
                self.issues.append(
                    QualityIssue(
                        im,
                        "beschreibende_angaben",
                        gap.akz,
                        gap.enaio_id,
                        gap.enaio_type,
                        team,
                        gap.datum,
                        _note(self.labels.field(gap.entity, name), what),
                    )
                )
        for p, case in self._plans:
            status = self.labels.value(
                "integrationsplan", "planstatus", p.planstatus.value if p.planstatus else ""
            )
            self.issues.append(
                QualityIssue(
                    p.integrationsmanager or (case.im if case else UNBEKANNT),
                    "plan_ohne_ziele",
                    p.aktenzeichen,
                    p.enaio_id,
                    p.enaio_type,
                    case.team if case else "",
                    p.vereinbart_am,
                    f"Version {p.planversion}, Status {status}",
                )
            )


def _source_field(profile: MappingProfile, entity: str, name: str) -> str | None:
    mapping = profile.entities.get(entity)
    if mapping is None:
        return None
    fm = mapping.fields.get(name)
    return fm.field if fm is not None and fm.ancestor is None else None


def _lookup(
    client: ObjectSource | None, profile: MappingProfile, entity: str, osid: int
) -> tuple[str, str, str]:
    """(IM, Aktenzeichen, team) of a quarantined object, from its own index data or its case and folder.

    Only an object that is gone (deleted meanwhile, `NotFoundError`) is "not assignable"; any other error
    (server, network, permissions) stops the run: a report that silently lost its assignment would mislead.
    """
    if client is None:
        return UNBEKANNT, "", ""
    im_field = _source_field(profile, "beratungsfall", "integrationsmanager")
    team_field = _source_field(profile, "beratungsfall", "regionalteam")
    akz_field = _source_field(profile, "klient", "aktenzeichen")
    own_im = _source_field(profile, entity, "integrationsmanager")
    if entity == "mitarbeitende":
        own_im = _source_field(profile, entity, "personalnummer")
    try:
        obj = client.get(osid)
        im = str(obj.fields.get(own_im) or "") if own_im else ""
        team = ""
        case = obj if entity == "beratungsfall" else (client.get(obj.parent_id) if obj.parent_id else None)
        if case is not None and entity not in ("klient", "mitarbeitende"):
            if im_field:
                im = im or str(case.fields.get(im_field) or "")
            team = str(case.fields.get(team_field) or "") if team_field else ""
        folder = obj if obj.folder_id is None else client.get(obj.folder_id)
        akz = str(folder.fields.get(akz_field) or "") if akz_field and entity != "mitarbeitende" else ""
    except NotFoundError:
        return UNBEKANNT, "", ""
    return im or UNBEKANNT, akz, team


_TEMPLATES: Final = Path(__file__).parent / "kennzahlen" / "outputs" / "templates"


def write_quality(
    collector: QualityCollector, out_dir: Path, base_url: str, type_ids: dict[str, int]
) -> list[Path]:
    """quality.csv and quality.html, both or neither."""
    check_out_dir(out_dir, QUALITY_FILES)
    with Staging(out_dir) as staging:
        stage_quality(collector, staging, base_url, type_ids)
        return staging.commit()


def stage_quality(
    collector: QualityCollector, staging: Staging, base_url: str, type_ids: dict[str, int]
) -> None:
    """quality.csv and quality.html into the staging directory, sorted by IM, check, Aktenzeichen.

    The Regionalteam appears as the label of the site's catalogue, not as its key."""
    collector.resolve()
    issues = sorted(collector.issues)
    rows = [
        {
            "integrationsmanager": i.integrationsmanager,
            "regionalteam": collector.labels.team(i.regionalteam),
            "pruefung": CHECKS[i.pruefung],
            "aktenzeichen": i.aktenzeichen,
            "objekttyp": i.objekttyp,
            "enaio_id": str(i.enaio_id),
            "datum": de_date(i.datum),
            "hinweis": i.hinweis,
            "link": enaio_link(base_url, i.enaio_id, type_ids.get(i.objekttyp)),
        }
        for i in issues
    ]

    def write_csv(path: Path) -> None:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(QUALITY_COLUMNS)
            for row in rows:
                writer.writerow(neutralize_formula(row[column]) for column in QUALITY_COLUMNS)

    groups: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        groups.setdefault(row["integrationsmanager"], []).append(row)
    counts: dict[str, int] = dict.fromkeys(CHECKS.values(), 0)
    for row in rows:
        counts[row["pruefung"]] += 1
    from jinja2 import Environment, FileSystemLoader, select_autoescape  # the [reports] extra

    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(default_for_string=True, default=True),
    )
    html = env.get_template("quality.html.j2").render(
        stichtag=de_date(collector.stichtag),
        total=len(rows),
        counts=list(counts.items()),
        groups=sorted(groups.items()),
    )
    staging.write(QUALITY_FILES[0], write_csv)
    staging.write(QUALITY_FILES[1], lambda path: path.write_text(html, encoding="utf-8", newline="\n"))


def profile_type_ids(objdef: ObjectDefinition, profile: MappingProfile) -> dict[str, int]:
    """Object type id of every type the profile reads (for "open in enaio" links); names come from the
    site's profile, ids from its live object definition. A type the server does not know gets no id."""
    found: dict[str, int] = {}
    for mapping in profile.entities.values():
        names = [mapping.type, *(fm.children for fm in mapping.fields.values() if fm.children)]
        for name in names:
            if name is None:
                continue
            try:
                found[name] = objdef.type_by_name(name).type_id
            except KeyError:  # drift: `enaio-connector check` reports it
                continue
    return found


def type_ids_of(client: EnaioClient, profile: MappingProfile) -> dict[str, int]:
    return profile_type_ids(client.object_definition(), profile)
