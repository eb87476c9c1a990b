"""The osws SOAP surface: ``GET …/EcmWsMtom?wsdl`` and ``POST …/EcmWsMtom`` (the ``execute`` job tunnel)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from connector.enaio.emulator.soap.envelope import (
    SoapFault,
    parse_request,
    render_fault,
    render_response,
    render_wsdl,
)
from connector.enaio.emulator.soap.jobs import run_job
from connector.enaio.emulator.state import EmulatorState

log = logging.getLogger(__name__)

SERVICE_PATH = "/osws/services/EcmWsMtom"
AUTH_FAILED = "Incorrect user name or password!"


def blueprint(state: EmulatorState) -> Blueprint:
    bp = Blueprint("soap", __name__)

    @bp.get(SERVICE_PATH)
    def wsdl() -> Response:
        if "wsdl" not in {key.lower() for key in request.args}:
            return Response("Hello! This is the enaio emulator's EcmWsMtom service.", mimetype="text/plain")
        address = request.host_url.rstrip("/") + SERVICE_PATH
        return Response(render_wsdl(address), content_type="text/xml; charset=UTF-8")

    # the documented personality answers in UTF-16, the record's default encoding (SOAP 1.1 allows it)
    encoding = "UTF-16" if state.documented else "UTF-8"

    @bp.post(SERVICE_PATH)
    def execute() -> Response:
        try:
            parsed = parse_request(request.get_data(cache=False), request.content_type or "text/xml")
            if parsed.user is None or not state.check_password(parsed.user, parsed.password):
                raise SoapFault(AUTH_FAILED, code="Client")
            answer = run_job(state, parsed.user, parsed)
        except SoapFault as fault:
            log.info("soap fault: %s", fault.code)
            return Response(
                render_fault(fault, encoding=encoding),
                status=500,
                content_type=f"text/xml; charset={encoding}",
            )
        log.debug("job %s -> %d", parsed.job, answer.return_code)
        body, content_type = render_response(parsed.job, answer, encoding=encoding)
        return Response(body, content_type=content_type)

    return bp
