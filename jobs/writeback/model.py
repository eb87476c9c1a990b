"""The plan file staff and IT write (YAML): a structured Integrationsplan for one client's case.

Field names are the normalized schema's (``schemas.integrationsplan``); a goal is a ``schemas.Ziel``. The
file names the client by Aktenzeichen and the case by its start date or enaio id (default: the client's one
open case). Version and the previous plan's status are the connector's business (Fortschreibung).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from connector.errors import UsageError, ValidationError
from schemas.enums import Planart, Planstatus
from schemas.integrationsplan import Ziel
from schemas.types import Aktenzeichen, AktenzeichenListe, Datum, EnaioId, Personalnummer

__all__ = ["FallRef", "PlanFile", "load_plan_file", "parse_plan"]

# Statuses a plan file may ask for; FORTGESCHRIEBEN and ABGESCHLOSSEN are set by the lifecycle, not by a file.
WRITABLE_STATUS = frozenset({Planstatus.ENTWURF, Planstatus.VEREINBART, Planstatus.NICHT_ZUSTANDE_GEKOMMEN})

# A goal someone agreed to names its field, its text and its status (the schema may read rows without them).
_GOAL_REQUIRED = ("handlungsfeld", "ziel", "zielstatus")


class FallRef(BaseModel):
    """Which case register: by start date or enaio id; neither = the client's one open case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fallbeginn: Datum | None = None
    enaio_id: EnaioId | None = None


class PlanFile(BaseModel):
    """A plan as staff write it; validated against the schema's types and the plan rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    aktenzeichen: Aktenzeichen
    fall: FallRef = FallRef()
    planart: Planart
    erstellt_am: Datum
    vereinbart_am: Datum | None = None
    planstatus: Planstatus | None = None
    naechste_ueberpruefung: Datum | None = None
    unterschrift_klient: bool = False
    integrationsmanager: Personalnummer | None = None
    weitere_personen: AktenzeichenListe = Field(default=())
    ziele: tuple[Ziel, ...] = ()

    @property
    def status(self) -> Planstatus:
        """Given status, else VEREINBART with an agreement date, ENTWURF without."""
        if self.planstatus is not None:
            return self.planstatus
        return Planstatus.VEREINBART if self.vereinbart_am is not None else Planstatus.ENTWURF

    @model_validator(mode="after")
    def _rules(self) -> Self:
        status = self.status
        if status not in WRITABLE_STATUS:
            raise ValueError(
                f"planstatus {status.value} is set by the connector (Fortschreibung), not by a plan file"
            )
        if status is Planstatus.VEREINBART:
            if self.vereinbart_am is None:
                raise ValueError("planstatus VEREINBART requires vereinbart_am")
            if not self.ziele:
                raise ValueError("an agreed plan (VEREINBART) needs at least one goal (ziele)")
        for index, goal in enumerate(self.ziele, start=1):
            missing = [name for name in _GOAL_REQUIRED if getattr(goal, name, None) in (None, "")]
            if missing:
                raise ValueError(f"ziele[{index}]: {', '.join(missing)} missing")
        if self.vereinbart_am is not None and self.vereinbart_am < self.erstellt_am:
            raise ValueError("vereinbart_am is before erstellt_am")
        if self.aktenzeichen in self.weitere_personen:
            raise ValueError("weitere_personen must not repeat the plan's own aktenzeichen")
        return self

    def schema_values(self, version: int) -> dict[str, Any]:
        """The plan's values under the schema's field names, as the mapping profile expects them."""
        return {
            "planart": self.planart,
            "planversion": version,
            "erstellt_am": self.erstellt_am,
            "vereinbart_am": self.vereinbart_am,
            "planstatus": self.status,
            "naechste_ueberpruefung": self.naechste_ueberpruefung,
            "unterschrift_klient": self.unterschrift_klient,
            "integrationsmanager": self.integrationsmanager,
            "weitere_personen": self.weitere_personen,
            "ziele": self.ziele,
        }


def _problems(exc: PydanticValidationError) -> str:
    # Messages name the location and the rule; pydantic's input echo (possibly personal) is left out.
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "(plan)"
        lines.append(f"{where}: {error['msg']}")
    return "; ".join(lines)


def parse_plan(data: Any, source: str = "plan") -> PlanFile:
    if not isinstance(data, dict):
        raise ValidationError(f"{source}: a plan file is a mapping (aktenzeichen, planart, ziele, ...)")
    try:
        return PlanFile.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationError(f"{source}: invalid plan: {_problems(exc)}") from None


def load_plan_file(path: Path) -> PlanFile:
    """Read and validate a YAML plan file; every problem is a one-line error (exit code 2)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read plan file {path}: {exc.strerror or type(exc).__name__}") from None
    except UnicodeDecodeError:
        raise UsageError(f"plan file {path} is not UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise UsageError(f"plan file {path}{where} is not valid YAML") from None
    try:
        return parse_plan(data, str(path))
    except ValidationError as exc:
        raise UsageError(exc.message) from None
