"""The demo program's change requests, decisions, RACI and compliance register."""


def build_demo(program) -> dict | None:
    return None
