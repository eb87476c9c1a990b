"""Data-quality report for staff (German): what to fix in enaio, per Integrationsmanager*in.

Checks: objects with missing or invalid required index data (from the mapping quarantine), contacts dated
outside the running time of their case, agreed plans without goals, and cases past the 3-year maximum
without a justified extension on the Stichtag (the error list behind K13). Every line links to the object in
enaio's web client. Staff-facing: Personalnummer and Aktenzeichen appear, names and free text never.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final, NamedTuple, Protocol

from jinja2 import Environment, FileSystemLoader, select_autoescape

from connector.enaio.client import EnaioClient
from connector.enaio.model import EnaioObject
from connector.enaio.objdef import ObjectDefinition
from connector.errors import NotFoundError
from jobs.kennzahlen.outputs.fmt import de_date, neutralize_formula
from jobs.kennzahlen.staging import Staging, check_out_dir
from mappings import MappingProfile, Quarantine
from schemas import Beratungsfall, Integrationsplan, Kontakt, Record, hoechstdauer_bis
from schemas.enums import Planstatus

__all__ = [
    "QUALITY_COLUMNS",
    "QUALITY_FILES",
    "ObjectSource",
    "QualityCollector",
    "QualityIssue",
    "enaio_link",
    "profile_type_ids",
    "stage_quality",
    "write_quality",
]

UNBEKANNT: Final = "(nicht zuzuordnen)"
CHECKS: Final = {
    "pflichtdaten": "Pflichtangaben fehlen oder sind ungültig",
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


def enaio_link(base_url: str, osid: int, type_id: int | None) -> str:
    suffix = "" if type_id is None else f"&objecttypeid={type_id}"
    return f"{base_url.rstrip('/')}/osweb/#/entry?osid={osid}{suffix}"


@dataclass
class QualityCollector:
    """Fed with every record of the run (see jobs.kennzahlen.live.tap); keeps only case spans and issues."""

    stichtag: date
    issues: list[QualityIssue] = field(default_factory=list)
    _cases: dict[int, _Case] = field(default_factory=dict)

    def add(self, record: Record) -> None:
        if isinstance(record, Beratungsfall):
            self._add_case(record)
        elif isinstance(record, Kontakt):
            self._add_contact(record)
        elif isinstance(record, Integrationsplan):
            self._add_plan(record)

    def _add_case(self, f: Beratungsfall) -> None:
        self._cases[f.enaio_id] = _Case(f.fallbeginn, f.fallende, f.integrationsmanager, f.regionalteam)
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
                f.integrationsmanager,
                "hoechstdauer",
                f.aktenzeichen,
                f.enaio_id,
                f.enaio_type,
                f.regionalteam,
                f.fallbeginn,
                hint,
            )
        )

    def _add_contact(self, k: Kontakt) -> None:
        case = self._cases.get(k.fall_enaio_id)
        if case is None:
            return  # the case itself is in the quarantine list
        if k.datum < case.beginn:
            hint = f"Datum vor Fallbeginn {de_date(case.beginn)}"
        elif case.ende is not None and k.datum > case.ende:
            hint = f"Datum nach Fallende {de_date(case.ende)}"
        else:
            return
        self.issues.append(
            QualityIssue(
                k.integrationsmanager,
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
        case = self._cases.get(p.fall_enaio_id)
        im = p.integrationsmanager or (case.im if case else UNBEKANNT)
        self.issues.append(
            QualityIssue(
                im,
                "plan_ohne_ziele",
                p.aktenzeichen,
                p.enaio_id,
                p.enaio_type,
                case.team if case else "",
                p.vereinbart_am,
                f"Version {p.planversion}, Status {p.planstatus.value}",
            )
        )

    def add_quarantine(
        self, quarantine: Quarantine, client: ObjectSource | None, profile: MappingProfile
    ) -> None:
        """One issue per quarantined object; IM and Aktenzeichen are looked up in enaio where possible."""
        by_object: dict[tuple[str, int], list[str]] = {}
        types: dict[tuple[str, int], str] = {}
        for entry in quarantine.entries:
            key = (entry.entity, entry.enaio_id)
            by_object.setdefault(key, []).append(f"{entry.field or '*'}: {entry.reason}")
            types[key] = entry.enaio_type
        for (entity, osid), reasons in sorted(by_object.items()):
            im, akz, team = _lookup(client, profile, entity, osid)
            self.issues.append(
                QualityIssue(
                    im, "pflichtdaten", akz, osid, types[(entity, osid)], team, None, "; ".join(reasons)
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
    try:
        obj = client.get(osid)
        im = str(obj.fields.get(own_im) or "") if own_im else ""
        team = ""
        case = obj if entity == "beratungsfall" else (client.get(obj.parent_id) if obj.parent_id else None)
        if case is not None and entity != "klient":
            if im_field:
                im = im or str(case.fields.get(im_field) or "")
            team = str(case.fields.get(team_field) or "") if team_field else ""
        folder = obj if obj.folder_id is None else client.get(obj.folder_id)
        akz = str(folder.fields.get(akz_field) or "") if akz_field else ""
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
    """quality.csv and quality.html into the staging directory, sorted by IM, check, Aktenzeichen."""
    issues = sorted(collector.issues)
    rows = [
        {
            "integrationsmanager": i.integrationsmanager,
            "regionalteam": i.regionalteam,
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
