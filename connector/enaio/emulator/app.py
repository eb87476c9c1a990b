"""The emulator's WSGI application: one Flask app, one blueprint per enaio interface, fault injection
wrapped around all of them."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask

from connector.enaio.emulator.state import EmulatorState

SurfaceFactory = Callable[[EmulatorState], Blueprint]


def _surfaces() -> list[SurfaceFactory]:
    # Each interface room of the emulator contributes one blueprint.
    factories: list[SurfaceFactory] = []
    from connector.enaio.emulator.osrest import blueprint as osrest_blueprint

    factories.append(osrest_blueprint)
    from connector.enaio.emulator.dms import blueprint as dms_blueprint

    factories.append(dms_blueprint)
    from connector.enaio.emulator.soap import blueprint as soap_blueprint

    factories.append(soap_blueprint)
    return factories


def create_app(state: EmulatorState) -> Flask:
    app = Flask("enaio-emulator")
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024 * 1024
    app.extensions["enaio_state"] = state
    for factory in _surfaces():
        app.register_blueprint(factory(state))
    from connector.enaio.emulator.control import control_blueprint

    app.register_blueprint(control_blueprint(state))
    app.wsgi_app = state.faults.wrap(app.wsgi_app)  # type: ignore[method-assign]
    return app
