"""Jobcenter hand-over: the county's form (voluntary, data relevant to the labour market) for one client,
only with an active consent AUSTAUSCH_JOBCENTER on the day.

Order: case and consents are read; without a consent covering the day the export is refused (``none``,
``revoked`` or ``expired``; exit 8) and the refusal audited. With one, the form is taken from the case file
(the latest earlier hand-over of the case, the client's current German level, then the answers given with
``--form``), validated against the schema, written to ``<out>/<name>.json.part``, filed as a Datenweitergabe
document in the case (natural key: case register + ``UEBERMITTELT_AM``; a lost answer is resolved by a
search, as for plans), then the file is renamed into place and the hand-over audited. A second export for the
same day with the same answers reuses the filed document; with other answers it is refused (exit 7).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model
from pydantic import ValidationError as PydanticValidationError

from connector.enaio.client import EnaioClient
from connector.enaio.interface import NewObject, UploadFile
from connector.enaio.model import EnaioObject
from connector.errors import EnaioError, UsageError
from connector.timeutil import now, zone
from jobs.writeback.audit import AuditLog
from jobs.writeback.encode import EntityEncoder, decode
from jobs.writeback.errors import ChangedError, ConsentError
from jobs.writeback.locate import CaseFile, Locator, find_case
from jobs.writeback.model import FallRef
from jobs.writeback.plans import insert_once
from mappings import MappingProfile
from schemas import Einwilligung, JobcenterDatenweitergabe
from schemas.enums import Einwilligungszweck

__all__ = ["FORM_FIELDS", "Handover", "JobcenterExport", "consent_on"]

log = logging.getLogger(__name__)

FORM_FIELDS = (
    "schulabschluss",
    "berufsausbildung",
    "berufserfahrung",
    "anerkennungsverfahren",
    "sprachniveau",
    "arbeitswunsch",
)
AUDIT_ACTION = "jobcenter_export"


def _form_model() -> type[BaseModel]:
    """The form's fields exactly as the schema defines them (types, lengths, enums)."""
    fields: dict[str, Any] = {
        name: (
            JobcenterDatenweitergabe.model_fields[name].annotation,
            JobcenterDatenweitergabe.model_fields[name],
        )
        for name in FORM_FIELDS
    }
    return create_model("JobcenterForm", __config__=ConfigDict(extra="forbid", frozen=True), **fields)


FormModel = _form_model()


@dataclass(frozen=True, slots=True)
class ConsentCheck:
    consent: Einwilligung | None
    reason: str | None
    """None when a consent covers the day, else ``none`` / ``revoked`` / ``expired``."""


def consent_on(consents: list[Einwilligung], day: date) -> ConsentCheck:
    """The Jobcenter consent covering ``day`` (latest given first), else why none does.

    Why: among consents given on or before the day, the latest decides: withdrawn on or before the day →
    ``revoked``, valid only until before the day → ``expired``; none given on or before the day → ``none``.
    """
    relevant = sorted(
        (c for c in consents if c.zweck is Einwilligungszweck.AUSTAUSCH_JOBCENTER),
        key=lambda c: (c.erteilt_am, c.enaio_id),
    )
    covering = [c for c in relevant if c.gilt_am(day)]
    if covering:
        return ConsentCheck(covering[-1], None)
    given = [c for c in relevant if c.erteilt_am <= day]
    if not given:
        return ConsentCheck(None, "none")
    latest = given[-1]
    if latest.widerrufen_am is not None and latest.widerrufen_am <= day:
        return ConsentCheck(latest, "revoked")
    return ConsentCheck(latest, "expired")


_REASONS = {
    "none": "no consent AUSTAUSCH_JOBCENTER was given on or before {day}",
    "revoked": "the consent AUSTAUSCH_JOBCENTER (document {doc}) was withdrawn on {when}",
    "expired": "the consent AUSTAUSCH_JOBCENTER (document {doc}) expired on {when}",
}


@dataclass
class Handover:
    """A hand-over produced (or found already filed)."""

    case: CaseFile
    day: date
    consent_id: int
    document_id: int
    path: Path
    reused: bool
    record: dict[str, Any]


class JobcenterExport:
    def __init__(self, client: EnaioClient, profile: MappingProfile, audit: AuditLog) -> None:
        self.client = client
        self.profile = profile
        self.audit = audit
        objdef = client.object_definition()
        self.locator = Locator(client, profile)
        self.consent = EntityEncoder(profile, objdef, "einwilligung")
        self.handover = EntityEncoder(profile, objdef, "jobcenter_datenweitergabe")
        self.handover.check_writable()
        self.day_field = self.handover.require_field("uebermittelt_am")
        self.tz = zone(client.settings.timezone)

    def consents(self, case: CaseFile) -> list[Einwilligung]:
        found: list[Einwilligung] = []
        for obj in self.locator.documents(case, self.consent.type_name):
            values = {
                k: v for k, v in decode(self.consent, obj.fields).items() if k in Einwilligung.model_fields
            }
            try:
                found.append(Einwilligung.model_validate({**self._provenance(case, obj), **values}))
            except PydanticValidationError:
                log.warning("consent document %d is incomplete or invalid; not counted", obj.id)
        return found

    @staticmethod
    def _provenance(case: CaseFile, obj: EnaioObject) -> dict[str, Any]:
        return {
            "enaio_id": obj.id,
            "enaio_type": obj.type_name,
            "modified_at": obj.modified,
            "fall_enaio_id": case.case.id,
            "klient_enaio_id": case.folder.id,
            "aktenzeichen": case.aktenzeichen,
        }

    def form(self, case: CaseFile, answers: dict[str, Any] | None) -> dict[str, Any]:
        """Form values: latest earlier hand-over of the case, the client's current German level, answers."""
        values: dict[str, Any] = {}
        earlier = self.locator.documents(case, self.handover.type_name)
        if earlier:
            latest = max(
                earlier, key=lambda o: (_day(decode(self.handover, o.fields).get("uebermittelt_am")), o.id)
            )
            previous = decode(self.handover, latest.fields)
            values.update({k: v for k, v in previous.items() if k in FORM_FIELDS})
        klient = decode(self.locator.klient, case.folder.fields)
        if klient.get("sprachniveau_deutsch") is not None:
            values["sprachniveau"] = klient["sprachniveau_deutsch"]
        unknown = sorted(set(answers or {}) - set(FORM_FIELDS))
        if unknown:
            raise UsageError(f"form: unknown fields {', '.join(unknown)} (known: {', '.join(FORM_FIELDS)})")
        values.update(answers or {})
        try:
            model = FormModel.model_validate(values)
        except PydanticValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                for e in exc.errors(include_input=False, include_url=False)
            )
            raise UsageError(f"form: {problems}") from None
        return {k: v for k, v in model.model_dump().items() if v is not None}

    def export(
        self,
        aktenzeichen: str,
        day: date,
        out_dir: Path,
        *,
        fall: FallRef | None = None,
        answers: dict[str, Any] | None = None,
    ) -> Handover:
        user = self.client.settings.username or ""
        case = find_case(self.locator, aktenzeichen, fall or FallRef())
        ids = {
            "klientenakte_id": case.folder.id,
            "beratungsfall_id": case.case.id,
            "stichtag": day.isoformat(),
        }
        check = consent_on(self.consents(case), day)
        if check.consent is None or check.reason is not None:
            reason = check.reason or "none"
            doc = check.consent.enaio_id if check.consent else None
            when = None
            if check.consent is not None:
                when = check.consent.widerrufen_am if reason == "revoked" else check.consent.gueltig_bis
            self.audit.write(
                now(self.tz),
                AUDIT_ACTION,
                "verweigert",
                grund=reason,
                einwilligung_id=doc,
                benutzer=user,
                **ids,
            )
            message = _REASONS[reason].format(
                day=day.isoformat(), doc=doc, when=when.isoformat() if when else ""
            )
            raise ConsentError(
                f"Jobcenter hand-over refused: {message}; nothing was handed over", reason=reason
            )
        consent = check.consent
        form = self.form(case, answers)
        schema_values: dict[str, Any] = {"uebermittelt_am": day, **form}
        encoded = self.handover.encode(schema_values)
        klient = decode(self.locator.klient, case.folder.fields)
        name = f"jobcenter_{_safe(aktenzeichen)}_{day.isoformat()}.json"
        record = {
            "formular": "Weitergabe arbeitsmarktrelevanter Daten an das Jobcenter (freiwillig)",
            "aktenzeichen": aktenzeichen,
            "familienname": klient.get("familienname"),
            "vornamen": klient.get("vornamen"),
            "geburtsdatum": _iso(klient.get("geburtsdatum")),
            "uebermittelt_am": day.isoformat(),
            "einwilligung": {
                "enaio_id": consent.enaio_id,
                "erteilt_am": consent.erteilt_am.isoformat(),
                "gueltig_bis": _iso(consent.gueltig_bis),
                "empfaenger": consent.empfaenger,
            },
            "angaben": {k: _iso(v) for k, v in form.items()},
        }
        data = (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / name
        part = target.with_name(target.name + ".part")
        part.write_bytes(data)
        try:
            document_id, reused = self._file(case, day, encoded.fields, name, data)
        except ChangedError as exc:
            part.unlink(missing_ok=True)
            self.audit.write(
                now(self.tz),
                AUDIT_ACTION,
                "verweigert",
                grund="anderer_inhalt",
                einwilligung_id=consent.enaio_id,
                dokument_id=exc.document_id,
                benutzer=user,
                **ids,
            )
            raise
        except EnaioError:
            part.unlink(missing_ok=True)
            raise
        os.replace(part, target)
        self.audit.write(
            now(self.tz),
            AUDIT_ACTION,
            "bereits_abgelegt" if reused else "uebergeben",
            einwilligung_id=consent.enaio_id,
            dokument_id=document_id,
            benutzer=user,
            **ids,
        )
        log.info(
            "jobcenter hand-over: case %d, document %d, consent %d",
            case.case.id,
            document_id,
            consent.enaio_id,
        )
        return Handover(case, day, consent.enaio_id, document_id, target, reused, record)

    def _same_day(self, case: CaseFile, day: date) -> list[EnaioObject]:
        return [
            o
            for o in self.locator.documents(case, self.handover.type_name)
            if o.fields.get(self.day_field) == day
        ]

    def _file(
        self, case: CaseFile, day: date, fields: dict[str, Any], name: str, data: bytes
    ) -> tuple[int, bool]:
        managed = set(self.handover.managed_fields())
        for obj in self._same_day(case, day):
            have = {k: v for k, v in obj.fields.items() if k in managed}
            if have == fields:
                return obj.id, True
            error = ChangedError(
                f"a Jobcenter hand-over of {day.isoformat()} is already filed in this case "
                f"(document {obj.id}) with other answers; nothing was handed over"
            )
            error.document_id = obj.id
            raise error
        new = NewObject(
            type_name=self.handover.type_name,
            parent_id=case.case.id,
            fields=fields,
            files=(UploadFile(name, "application/json", data=data),),
        )

        def find() -> int | None:
            hits = self._same_day(case, day)
            return hits[0].id if hits else None

        return insert_once(self.client, new, find), False


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.min


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in text)
