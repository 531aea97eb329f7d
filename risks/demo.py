"""The demo program's RAID log (filled in with the risks app)."""


def build_demo(program) -> dict | None:
    return None
