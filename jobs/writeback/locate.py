"""Find where a write goes: the client's folder by Aktenzeichen, the case register, the case's documents.

Only interface-neutral searches are used (a field condition, an ancestor condition on the folder), and a
document's case is told by its direct parent, so every room and personality answers the same.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from connector.enaio.client import EnaioClient
from connector.enaio.model import EnaioObject
from connector.enaio.query import AncestorCondition, Query, eq
from connector.errors import UsageError, ValidationError
from jobs.writeback.encode import EntityEncoder, decode
from jobs.writeback.model import FallRef
from mappings import MappingProfile
from schemas.enums import Fallstatus

__all__ = ["CaseFile", "Locator", "find_case", "open_cases"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CaseFile:
    """A client's folder and one case register in it, with the case's decoded schema values."""

    aktenzeichen: str
    folder: EnaioObject
    case: EnaioObject
    case_values: dict[str, Any]

    @property
    def fallbeginn(self) -> date | None:
        value = self.case_values.get("fallbeginn")
        return value if isinstance(value, date) else None

    @property
    def integrationsmanager(self) -> str | None:
        value = self.case_values.get("integrationsmanager")
        return str(value) if value is not None else None


class Locator:
    """Searches through the façade, with the profile's type and field names."""

    def __init__(self, client: EnaioClient, profile: MappingProfile) -> None:
        objdef = client.object_definition()
        self.client = client
        self.profile = profile
        self.klient = EntityEncoder(profile, objdef, "klient")
        self.fall = EntityEncoder(profile, objdef, "beratungsfall")

    def folder(self, aktenzeichen: str) -> EnaioObject:
        field = self.klient.require_field("aktenzeichen")
        hits = list(
            self.client.search(Query(self.klient.type_name, where=eq(field, aktenzeichen), max_hits=2))
        )
        if not hits:
            raise UsageError(f"no client folder with Aktenzeichen {aktenzeichen}")
        if len(hits) > 1:
            raise UsageError(
                f"Aktenzeichen {aktenzeichen} is not unique (folders {hits[0].id}, {hits[1].id})"
            )
        return hits[0]

    def below_folder(self, type_name: str, aktenzeichen: str) -> Iterator[EnaioObject]:
        """Objects of ``type_name`` anywhere in the client's folder."""
        field = self.klient.require_field("aktenzeichen")
        ancestor = AncestorCondition(self.klient.type_name, eq(field, aktenzeichen))
        return self.client.search(Query(type_name, ancestors=(ancestor,)))

    def cases(self, aktenzeichen: str) -> tuple[EnaioObject, list[CaseFile]]:
        folder = self.folder(aktenzeichen)
        try:
            registers = [
                o for o in self.below_folder(self.fall.type_name, aktenzeichen) if o.parent_id == folder.id
            ]
        except ValidationError:
            # Some servers search only documents by location (the DMS service's documented set has
            # SDSTA_ID for document types only); then the case registers are read by type and told apart by
            # their parent here. Costs one pass over the cases, ids and index data only.
            log.info("searching cases by folder is refused; reading the case registers by type")
            registers = [
                o for o in self.client.search(Query(self.fall.type_name)) if o.parent_id == folder.id
            ]
        found = [CaseFile(aktenzeichen, folder, obj, decode(self.fall, obj.fields)) for obj in registers]
        return folder, sorted(found, key=lambda c: (c.fallbeginn or date.min, c.case.id))

    def documents(self, case: CaseFile, type_name: str) -> list[EnaioObject]:
        """The documents of ``type_name`` filed directly in the case register, by id."""
        docs = [o for o in self.below_folder(type_name, case.aktenzeichen) if o.parent_id == case.case.id]
        return sorted(docs, key=lambda o: o.id)


def is_open(case: CaseFile) -> bool:
    status = case.case_values.get("fallstatus")
    return case.case_values.get("fallende") is None and status != Fallstatus.ABGESCHLOSSEN.value


def open_cases(cases: list[CaseFile]) -> list[CaseFile]:
    return [c for c in cases if is_open(c)]


def find_case(locator: Locator, aktenzeichen: str, ref: FallRef) -> CaseFile:
    """The case a plan file or an export names; a clear error when there is none or it is ambiguous."""
    _, cases = locator.cases(aktenzeichen)
    if ref.enaio_id is not None:
        chosen = [c for c in cases if c.case.id == ref.enaio_id]
        what = f"case {ref.enaio_id}"
    elif ref.fallbeginn is not None:
        chosen = [c for c in cases if c.fallbeginn == ref.fallbeginn]
        what = f"case beginning {ref.fallbeginn.isoformat()}"
    else:
        chosen = open_cases(cases)
        what = "open case"
    if not chosen:
        raise UsageError(f"Aktenzeichen {aktenzeichen}: no {what} in the client folder")
    if len(chosen) > 1:
        ids = ", ".join(str(c.case.id) for c in chosen)
        raise UsageError(
            f"Aktenzeichen {aktenzeichen}: more than one {what} ({ids}); name it with fall.enaio_id"
        )
    return chosen[0]
