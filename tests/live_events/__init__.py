import time


def wait_for(condition, seconds: float = 10.0) -> bool:
    """True once ``condition()`` is, polling for up to ``seconds`` (what a server
    thread or a watched folder does happens a moment later)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
