"""Filing an Integrationsplan: create, Fortschreibung, draft update; locks, concurrency and idempotency.

Order of a put, so that a refusal leaves nothing written:

1. read: client folder, case, the case's plans (search), the latest plan in full (``get``);
2. decide: ``unchanged`` (the latest plan already holds exactly this content: a repeated command or a
   retried one whose answer got lost), ``update_draft`` (the latest plan is a draft: its managed fields are
   updated in place), ``fortschreibung`` (the latest plan is agreed: next version, previous one marked
   FORTGESCHRIEBEN) or ``create`` (first plan of the case, version 0);
3. a document checked out by someone else stops the put before any write (``CheckedOutError``, exit 6);
4. the one update (previous plan or draft) goes first, with ``expected_modified`` = the ``modified`` read in
   step 1: a lock the server reports, or a change since step 1, refuses it and nothing is written
   (``CheckedOutError`` / ``ChangedError``, exit 6 / 7);
5. the insert; its natural key is (case register, ``PLANVERSION``). A lost answer (``TransientError``)
   is followed by a search for that key: found = done, else the insert is sent again. Exactly one document.

Only fields the profile maps are written (partial updates); everything else staff entered stays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from connector.enaio.client import EnaioClient
from connector.enaio.interface import NewObject, UploadFile
from connector.enaio.model import EnaioObject, FieldValue
from connector.errors import ConflictError, LockedError, TransientError
from jobs.writeback.encode import EncodedObject, EntityEncoder, decode
from jobs.writeback.errors import ChangedError, CheckedOutError
from jobs.writeback.locate import CaseFile, Locator, find_case
from jobs.writeback.model import PlanFile
from jobs.writeback.render import DOCX_MIME, de_date, plan_context, render_docx
from mappings import MappingProfile
from schemas.enums import Planstatus

__all__ = ["PlanAction", "PlanWriter", "put_plan"]

log = logging.getLogger(__name__)

ActionKind = Literal["create", "fortschreibung", "update_draft", "unchanged"]
Row = dict[str, FieldValue]


@dataclass
class PlanAction:
    """What a put does (dry run) or did; ``document_id`` is set once written."""

    kind: ActionKind
    case: CaseFile
    version: int
    encoded: EncodedObject
    file_name: str
    docx: bytes
    previous: EnaioObject | None = None
    previous_change: dict[str, FieldValue] = field(default_factory=dict)
    document_id: int | None = None

    def payload(self) -> dict[str, Any]:
        """The exact index data and location, JSON-ready (dates ISO); what ``--dry-run`` prints."""
        out: dict[str, Any] = {
            "aktion": self.kind,
            "ziel": {
                "aktenzeichen": self.case.aktenzeichen,
                "klientenakte_id": self.case.folder.id,
                "beratungsfall_id": self.case.case.id,
                "fallbeginn": _json(self.case.fallbeginn),
                "objekttyp": self.encoded.type_name,
            },
            "planversion": self.version,
            "indexdaten": {k: _json(v) for k, v in self.encoded.fields.items()},
            "tabellen": {
                name: [{k: _json(v) for k, v in row.items()} for row in rows]
                for name, rows in self.encoded.tables.items()
            },
            "datei": {"name": self.file_name, "mime_type": DOCX_MIME, "bytes": len(self.docx)},
        }
        if self.previous is not None:
            out["vorgaenger"] = {
                "id": self.previous.id,
                "aenderung": {k: _json(v) for k, v in self.previous_change.items()},
                "expected_modified": self.previous.modified.isoformat(),
            }
        if self.document_id is not None:
            out["dokument_id"] = self.document_id
        return out


def _json(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


class PlanWriter:
    """Plans for one client connection and mapping profile."""

    def __init__(
        self,
        client: EnaioClient,
        profile: MappingProfile,
        *,
        template: Path | None = None,
        insert_attempts: int = 3,
    ) -> None:
        self.client = client
        self.profile = profile
        self.template = template
        self.insert_attempts = insert_attempts
        self.objdef = client.object_definition()
        self.locator = Locator(client, profile)
        self.plan = EntityEncoder(profile, self.objdef, "integrationsplan")
        self.plan.check_writable()
        self.version_field = self.plan.require_field("planversion")
        self.status_field = self.plan.require_field("planstatus")

    # --- reading and deciding ----------------------------------------------------------------------------

    def plans(self, case: CaseFile) -> list[tuple[int, Planstatus | None, EnaioObject]]:
        """The case's plans as (version, status, object), oldest version first."""
        found = []
        for obj in self.locator.documents(case, self.plan.type_name):
            values = decode(self.plan, obj.fields)
            version = values.get("planversion")
            status = values.get("planstatus")
            typed = None
            if isinstance(status, str) and status in Planstatus.__members__:
                typed = Planstatus(status)
            found.append((version if isinstance(version, int) else -1, typed, obj))
        return sorted(found, key=lambda item: (item[0], item[2].id))

    def prepare(self, plan: PlanFile) -> PlanAction:
        """Everything a put will write, without writing (also the dry run)."""
        case = find_case(self.locator, plan.aktenzeichen, plan.fall)
        if (
            plan.integrationsmanager is None
            and case.integrationsmanager
            and self.plan.source_field("integrationsmanager")
        ):
            # as staff do in enaio: the plan carries the case's Integrationsmanager*in
            plan = plan.model_copy(update={"integrationsmanager": case.integrationsmanager})
        existing = self.plans(case)
        latest = self.client.get(existing[-1][2].id) if existing else None
        latest_version = existing[-1][0] if existing else -1
        latest_status = existing[-1][1] if existing else None
        previous_change: dict[str, FieldValue] = {}
        if latest is None:
            kind: ActionKind = "create"
            version = 0
        else:
            same = self.plan.encode(plan.schema_values(latest_version))
            if self._holds(latest, same):
                kind, version = "unchanged", latest_version
            elif latest_status is Planstatus.ENTWURF:
                kind, version = "update_draft", latest_version
            else:
                kind, version = "fortschreibung", max(latest_version, 0) + 1
                if latest_status is Planstatus.VEREINBART:
                    previous_change = {
                        self.status_field: self.plan.encode(
                            {"planstatus": Planstatus.FORTGESCHRIEBEN}
                        ).fields[self.status_field]
                    }
        encoded = self.plan.encode(plan.schema_values(version))
        docx = self._render(case, encoded, version)
        kind_word = "Integrationsplan" if version == 0 else f"Fortschreibung{version}"
        file_name = f"{kind_word}_{case.aktenzeichen}_v{version}_{plan.erstellt_am.isoformat()}.docx"
        previous = latest if kind in ("fortschreibung", "update_draft", "unchanged") else None
        if kind == "update_draft":
            previous_change = dict(encoded.fields)
        return PlanAction(
            kind, case, version, encoded, _safe_name(file_name), docx, previous, previous_change
        )

    def _holds(self, obj: EnaioObject, encoded: EncodedObject) -> bool:
        """True when ``obj``'s managed index data equals ``encoded`` (the natural content key)."""
        managed = set(self.plan.managed_fields())
        scalar = {k: v for k, v in obj.fields.items() if k in managed}
        if scalar != encoded.fields:
            return False
        for name in managed:
            if not self.plan.otype.field(name).is_table:
                continue
            have = [dict(row) for row in obj.tables.get(name, [])]
            if have != encoded.tables.get(name, []):
                return False
        return True

    def _render(self, case: CaseFile, encoded: EncodedObject, version: int) -> bytes:
        names = {
            name: (fm.table or fm.field or "")
            for name, fm in self.plan.mapping.fields.items()
            if (fm.table or fm.field) and fm.ancestor is None
        }
        columns = {
            name: {col: cm.column for col, cm in (fm.columns or {}).items() if cm.column}
            for name, fm in self.plan.mapping.fields.items()
            if fm.table
        }
        klient_values = decode(self.locator.klient, case.folder.fields)
        extra: dict[str, Any] = {
            "aktenzeichen": case.aktenzeichen,
            "familienname": klient_values.get("familienname") or "",
            "vornamen": klient_values.get("vornamen") or "",
            "fallbeginn": de_date(case.fallbeginn),
            "planversion": version,
            "versionstext": "Erstplan (Version 0)" if version == 0 else f"Fortschreibung (Version {version})",
        }
        context = plan_context(
            self.objdef, self.plan.otype, encoded.fields, encoded.tables, names, columns, extra
        )
        context["planversion"] = version
        return render_docx(context, self.template)

    # --- writing -----------------------------------------------------------------------------------------

    def put(self, plan: PlanFile, *, dry_run: bool = False) -> PlanAction:
        action = self.prepare(plan)
        return action if dry_run else self.write(action)

    def write(self, action: PlanAction) -> PlanAction:
        """Carry out a prepared action (steps 3-5 of the module doc)."""
        if action.kind == "unchanged":
            if action.previous is not None:
                action.document_id = action.previous.id
            return action
        previous = action.previous
        if previous is not None and action.previous_change:
            self._check_lock(previous)
            self._update(previous, action)
        if action.kind == "update_draft" and previous is not None:
            action.document_id = previous.id
            return action
        action.document_id = self._insert(action)
        log.info(
            "plan filed: document %d, case %d, version %d (%s)",
            action.document_id,
            action.case.case.id,
            action.version,
            action.kind,
        )
        return action

    def _check_lock(self, obj: EnaioObject) -> None:
        me = (self.client.settings.username or "").casefold()
        if obj.lock_known and obj.locked_by and obj.locked_by.casefold() != me:
            raise CheckedOutError(
                f"plan document {obj.id} is checked out by {obj.locked_by}; nothing was written",
                holder=obj.locked_by,
            )

    def _update(self, obj: EnaioObject, action: PlanAction) -> None:
        tables = None
        files: tuple[UploadFile, ...] = ()
        if action.kind == "update_draft":
            tables = {name: list(rows) for name, rows in action.encoded.tables.items()}
            files = (UploadFile(action.file_name, DOCX_MIME, data=action.docx),)
        try:
            self.client.api.update(
                obj.id, action.previous_change, tables=tables, files=files, expected_modified=obj.modified
            )
        except LockedError as exc:
            # the holder as the server names it: a field of the answer, else its message
            who = f"by {exc.holder}" if exc.holder else f"(server: {exc.message})"
            raise CheckedOutError(
                f"plan document {obj.id} is checked out {who}; nothing was written", holder=exc.holder
            ) from None
        except ConflictError:
            raise ChangedError(
                f"plan document {obj.id} was changed in enaio since it was read; nothing was overwritten, "
                "run the command again"
            ) from None
        log.info("plan document %d updated: %s", obj.id, ", ".join(sorted(action.previous_change)))

    def _insert(self, action: PlanAction) -> int:
        new = NewObject(
            type_name=action.encoded.type_name,
            parent_id=action.case.case.id,
            fields=action.encoded.fields,
            tables={name: rows for name, rows in action.encoded.tables.items() if rows},
            files=(UploadFile(action.file_name, DOCX_MIME, data=action.docx),),
        )
        return insert_once(self.client, new, lambda: self._find_version(action), self.insert_attempts)

    def _find_version(self, action: PlanAction) -> int | None:
        for version, _, obj in self.plans(action.case):
            if version == action.version:
                return obj.id
        return None


def insert_once(
    client: EnaioClient, new: NewObject, find: Callable[[], int | None], attempts: int = 3
) -> int:
    """Insert ``new`` exactly once: after a lost answer, ``find()`` (search by the natural key) decides
    whether the insert was committed (its id) or must be sent again."""
    for attempt in range(1, attempts + 1):
        try:
            return client.api.insert(new)
        except TransientError:
            found = find()
            if found is not None:
                log.info("insert answer was lost; the document exists (%d), not sent again", found)
                return found
            if attempt == attempts:
                raise
            log.info("insert answer was lost and the document does not exist; sending it again")
    raise AssertionError("unreachable")  # pragma: no cover


def _safe_name(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)


def put_plan(
    client: EnaioClient,
    profile: MappingProfile,
    plan: PlanFile,
    *,
    dry_run: bool = False,
    template: Path | None = None,
) -> PlanAction:
    """The Python API of ``plan put``."""
    return PlanWriter(client, profile, template=template).put(plan, dry_run=dry_run)
