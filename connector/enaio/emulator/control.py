"""``/_emulator/...``: health (no auth) and the fault rules at runtime (Basic auth of the emulator's users).

``GET /_emulator/faults`` answers ``{"rules": [...], "stats": {...}}``; ``POST`` replaces the rules with
``{"rules": [{"action": "status", "status": 503, "probability": 0.2}, ...]}`` or ``{"spec": "503:p=0.2"}``
(optionally ``"seed": 7``); ``DELETE`` removes them all. Fault injection never applies to these paths.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from connector.enaio.emulator.faults import FaultRule, FaultSpecError, parse_fault_spec
from connector.enaio.emulator.state import EmulatorState


def control_blueprint(state: EmulatorState) -> Blueprint:
    bp = Blueprint("emulator_control", __name__, url_prefix="/_emulator")
    # expire_session faults forget this state's sessions.
    state.faults.attach(state.expire_sessions)

    def _unauthorized() -> Response:
        response = jsonify({"status": 401, "message": "authentication required"})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Basic realm="enaio emulator"'
        return response

    def _authorized() -> bool:
        auth = request.authorization
        return auth is not None and state.check_password(auth.username, auth.password)

    def _bad_request(message: str) -> Response:
        response = jsonify({"status": 400, "message": message})
        response.status_code = 400
        return response

    def _faults_view() -> dict[str, Any]:
        return {"rules": [rule.to_dict() for rule in state.faults.rules], "stats": state.faults.stats()}

    @bp.get("/health")
    def health() -> Response:
        return jsonify({"status": "ok", "server_version": state.server_version})

    @bp.route("/faults", methods=["GET", "POST", "DELETE"])
    def faults() -> Response:
        if not _authorized():
            return _unauthorized()
        if request.method == "GET":
            return jsonify(_faults_view())
        if request.method == "DELETE":
            state.faults.clear()
            return jsonify(_faults_view())
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return _bad_request('send a JSON object: {"rules": [...]} or {"spec": "..."}')
        try:
            rules = _rules_from(payload)
        except FaultSpecError as exc:
            return _bad_request(str(exc))
        seed = payload.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            return _bad_request("seed must be an integer")
        if seed is not None:
            state.faults.reseed(seed)
        state.faults.set_rules(rules)
        return jsonify(_faults_view())

    return bp


def _rules_from(payload: dict[str, Any]) -> list[FaultRule]:
    unknown = sorted(set(payload) - {"rules", "spec", "seed"})
    if unknown:
        raise FaultSpecError(f"unknown key(s) {', '.join(unknown)}; send rules, spec and/or seed")
    if ("rules" in payload) == ("spec" in payload):
        raise FaultSpecError('send either "rules" (a list of rule objects) or "spec" (the compact syntax)')
    if "spec" in payload:
        spec = payload["spec"]
        if not isinstance(spec, str):
            raise FaultSpecError("spec must be a string")
        return parse_fault_spec(spec) if spec.strip() else []
    items = payload["rules"]
    if not isinstance(items, list):
        raise FaultSpecError("rules must be a list")
    rules = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise FaultSpecError(f"rule {number} must be an object")
        try:
            rules.append(FaultRule.from_dict(item))
        except FaultSpecError as exc:
            raise FaultSpecError(f"rule {number}: {exc}") from None
    return rules
