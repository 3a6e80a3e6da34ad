"""Demo mode: every bundled simulator on loopback, integrations pointed at them, some data mapped."""


def start_demo(app) -> None:  # filled in once the plugins ship simulators
    raise NotImplementedError
