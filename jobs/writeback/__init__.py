"""Writing back into enaio for staff: Integrationsplan creation and Fortschreibung, and the consent-gated
Jobcenter hand-over. See docs/writeback.md."""

from __future__ import annotations

from jobs.writeback.audit import AuditLog
from jobs.writeback.errors import (
    EXIT_CHECKED_OUT,
    EXIT_CONFLICT,
    EXIT_NO_CONSENT,
    ChangedError,
    CheckedOutError,
    ConsentError,
)
from jobs.writeback.jobcenter import Handover, JobcenterExport, consent_on
from jobs.writeback.model import FallRef, PlanFile, load_plan_file, parse_plan
from jobs.writeback.plans import PlanAction, PlanWriter, put_plan

__all__ = [
    "EXIT_CHECKED_OUT",
    "EXIT_CONFLICT",
    "EXIT_NO_CONSENT",
    "AuditLog",
    "ChangedError",
    "CheckedOutError",
    "ConsentError",
    "FallRef",
    "Handover",
    "JobcenterExport",
    "PlanAction",
    "PlanFile",
    "PlanWriter",
    "consent_on",
    "load_plan_file",
    "parse_plan",
    "put_plan",
]
