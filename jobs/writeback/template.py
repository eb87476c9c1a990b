"""``plan template``: a valid plan file for a client's open case, with German comments.

The case is named by its start date; the goals of the case's latest plan (if any) are filled in, so a
Fortschreibung starts from what was agreed; otherwise one example goal shows the shape.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import yaml

from connector.enaio.client import EnaioClient
from jobs.writeback.encode import decode
from jobs.writeback.locate import Locator, find_case
from jobs.writeback.model import FallRef, parse_plan
from jobs.writeback.plans import PlanWriter
from mappings import MappingProfile
from schemas.enums import Handlungsfeld, Planart, Verantwortlich, Zielstatus

__all__ = ["plan_template"]


def _q(value: object) -> str:
    """A YAML scalar (JSON strings are valid YAML and keep umlauts and quotes safe)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def _goals(writer: PlanWriter, latest: Any) -> list[dict[str, Any]]:
    """The latest plan's goal rows as schema values (catalogue keys through the profile's ``values``)."""
    fm = next((m for m in writer.plan.mapping.fields.values() if m.table), None)
    if fm is None or latest is None:
        return []
    goals = []
    for row in latest.tables.get(fm.table, []):
        goal: dict[str, Any] = {}
        for name, cm in (fm.columns or {}).items():
            raw = row.get(cm.column) if cm.column else None
            if raw is None:
                continue
            goal[name] = cm.values.get(raw, raw) if (cm.values and isinstance(raw, str)) else raw
        goals.append(goal)
    return goals


def plan_template(client: EnaioClient, profile: MappingProfile, aktenzeichen: str, today: date) -> str:
    writer = PlanWriter(client, profile)
    locator: Locator = writer.locator
    case = find_case(locator, aktenzeichen, FallRef())
    plans = writer.plans(case)
    latest = client.get(plans[-1][2].id) if plans else None
    planart = Planart.INTEGRATIONSPLAN.value
    household: list[str] = []
    if latest is not None:
        previous = decode(writer.plan, latest.fields)
        planart = str(previous.get("planart") or planart)
        household = [str(az) for az in previous.get("weitere_personen") or ()]
    goals = _goals(writer, latest) or [
        {
            "handlungsfeld": Handlungsfeld.SPRACHE.value,
            "ziel": "Deutschkurs B1 abschließen",
            "massnahme": "Anmeldung beim Sprachkursträger",
            "verantwortlich": Verantwortlich.KLIENT.value,
            "zielstatus": Zielstatus.OFFEN.value,
        }
    ]
    next_version = (plans[-1][0] + 1) if plans else 0
    if plans:
        what = f"neuer Plan = Version {next_version} (Fortschreibung; ein vereinbarter Vorgänger"
        what += " wird FORTGESCHRIEBEN)."
    else:
        what = "neuer Plan = Erstplan (Version 0)."
    lines = [
        "# Integrationsplan für enaio – mit `enaio-connector plan put DATEI` ablegen",
        "# (vorher `--dry-run`: zeigt genau, was geschrieben würde, und schreibt nichts).",
        f"# Beratungsfall {case.case.id}; Pläne bisher: {len(plans)}; {what}",
        "",
        "# Aktenzeichen der Klientin / des Klienten (Schlüsselfeld der Klientenakte)",
        f"aktenzeichen: {_q(aktenzeichen)}",
        "# Beratungsfall: über den Fallbeginn (oder enaio_id: <Nummer>)",
        "fall:",
        f"  fallbeginn: {_q(case.fallbeginn)}" if case.fallbeginn else f"  enaio_id: {case.case.id}",
        "# Planart: INTEGRATIONSPLAN oder INTEGRATIONSZIELVEREINBARUNG",
        f"planart: {_q(planart)}",
        "# Datum der Erstellung (TT.MM.JJJJ oder JJJJ-MM-TT)",
        f"erstellt_am: {_q(today)}",
        "# Datum der Vereinbarung; ohne dieses Datum wird der Plan als ENTWURF abgelegt",
        f"vereinbart_am: {_q(today)}",
        "# Nächster Überprüfungstermin (optional)",
        "# naechste_ueberpruefung: 2019-06-30",
        "# Hat die Klientin / der Klient unterschrieben? (true / false)",
        "unterschrift_klient: false",
        "# Weitere einbezogene Personen des Haushalts (Aktenzeichen, optional)",
        f"weitere_personen: {_q(household)}",
        "# Ziele: Handlungsfeld, Ziel, Maßnahme, Verantwortlich, Frist, Status (zielstatus), Statusdatum",
        f"#   Handlungsfeld: {', '.join(m.value for m in Handlungsfeld)}",
        f"#   Verantwortlich: {', '.join(m.value for m in Verantwortlich)}",
        f"#   Status: {', '.join(m.value for m in Zielstatus)}",
        "ziele:",
    ]
    for goal in goals:
        first = True
        for key in (
            "handlungsfeld",
            "ziel",
            "massnahme",
            "verantwortlich",
            "frist",
            "zielstatus",
            "statusdatum",
        ):
            if key not in goal:
                continue
            lines.append(f"  {'- ' if first else '  '}{key}: {_q(goal[key])}")
            first = False
    text = "\n".join(lines) + "\n"
    parse_plan(yaml.safe_load(text), "template")  # the template is always a valid plan file
    return text
