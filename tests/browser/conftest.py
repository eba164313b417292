"""Playwright driving Debian's chromium (installed by scripts/dev.py, never downloaded)."""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests
# make between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def write_y4m(image, path: Path, frames: int = 10) -> Path:
    """A still photo as a short YUV4MPEG2 video: Chromium's fake camera plays it."""
    image = image.convert("RGB").resize((640, 480))
    y, cb, cr = image.convert("YCbCr").split()
    half = (320, 240)
    plane = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n" + plane)
    return path


@pytest.fixture(scope="session")
def browser(images, tmp_path_factory):
    from PIL import Image
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `python3 scripts/dev.py test`, which installs it.")
    # The fake camera films a photo of a person from the test images.
    selfie = Image.open(images["obama2.jpg"]).crop((100, 150, 600, 700))
    camera = write_y4m(selfie, tmp_path_factory.mktemp("camera") / "selfie.y4m")
    arguments = [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}",
    ]  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=arguments
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A laptop-sized page. Every page it visits is checked with axe-core afterwards
    (:func:`check_accessibility`): serious or critical violations fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)  # generous: CI machines are slower and noisier
    visited: list[str] = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and visited.append(frame.url))
    yield page
    try:
        problems = check_accessibility(context, visited)
    finally:
        context.close()
    if problems:
        pytest.fail("Accessibility (axe-core), serious or critical:\n" + "\n".join(problems))


# Rules axe cannot judge here: none so far. Add one only with the reason next to it.
AXE_SKIPPED_RULES: dict[str, str] = {}
# Rules axe leaves off by default that the pages must pass: WCAG 2.2 AA's target size
# (2.5.8: 24 px, or that much room around a smaller target), for fingers on phones.
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}


def check_accessibility(context, urls: list[str]) -> list[str]:
    """axe-core on each HTML page of ``urls`` (opened again in ``context``, with its
    cookies: what the person saw at that address). Returns one line per serious or
    critical violation."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Error

    axe, problems, seen = Axe(), [], set()
    page = context.new_page()
    for url in urls:
        if url in seen or not url.startswith("http"):
            continue
        seen.add(url)
        try:
            response = page.goto(url)
        except Error:  # the answer to a POST (a form with its errors): not a GET page
            continue
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        results = axe.run(page, options=AXE_OPTIONS)
        for violation in results.response["violations"]:
            if (
                violation["impact"] in ("serious", "critical")
                and violation["id"] not in AXE_SKIPPED_RULES
            ):
                targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
                rule = f"{violation['id']} ({violation['impact']}): {violation['help']}"
                problems.append(f"{page.url}: {rule} -> {targets}")
    page.close()
    return problems


# Every visible control must be what a tap at its centre reaches, once scrolled into
# view: a photo once covered the viewer's "previous" button on phones. Controls hidden
# on purpose (closed, clipped to a pixel for screen readers) are left out.
COVERED_CONTROLS = """(within) => {
  const covered = [];
  const controls = document.querySelector(within).querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary");
  for (const control of controls) {
    const style = getComputedStyle(control);
    if (style.visibility !== "visible" || control.closest("[hidden]")) continue;
    // A closed <details> keeps boxes for its content (not painted): only its summary shows.
    const closed = control.closest("details:not([open])");
    if (closed && !control.closest("summary")) continue;
    let box = control.getBoundingClientRect();
    if (box.width < 4 || box.height < 4) continue;
    control.scrollIntoView({ block: "center", inline: "center" });
    // A link that wraps has a box per line: the widest one's centre is on its text.
    box = [...control.getClientRects()].reduce((a, b) => (b.width > a.width ? b : a));
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    const label = hit && hit.closest("label");
    if (hit && (control.contains(hit) || (label && label.control === control))) continue;
    const name = (control.getAttribute("aria-label") || control.textContent || control.name || "")
      .trim().slice(0, 40);
    const over = hit ? hit.tagName.toLowerCase() + "." + hit.className : "nothing";
    covered.push(`${control.tagName.toLowerCase()} "${name}" under ${over}`);
  }
  window.scrollTo(0, 0);
  return covered;
}"""


# Buttons side by side must line up: a label or a primary button with its own margins
# once sat 4-16 px below the button beside it.
MISALIGNED_BUTTONS = """() => {
  const found = [];
  const visible = (el) =>
    el.getClientRects().length && getComputedStyle(el).visibility === "visible";
  for (const parent of document.querySelectorAll("*")) {
    const buttons = [...parent.children].filter(
      (el) => el.matches("button, .button, input[type=submit]") && visible(el));
    for (let i = 0; i < buttons.length; i++) {
      for (let j = i + 1; j < buttons.length; j++) {
        const a = buttons[i].getBoundingClientRect(), b = buttons[j].getBoundingClientRect();
        const sameLine = a.top < b.bottom && b.top < a.bottom;
        if (sameLine && Math.abs(a.top - b.top) > 2) {
          found.push(`"${buttons[i].textContent.trim()}" and "${buttons[j].textContent.trim()}"`);
        }
      }
    }
  }
  return found;
}"""


def covered_controls(page, within: str = "body") -> list[str]:
    """Visible controls (inside ``within``, a CSS selector) that a tap at their centre
    would not reach, on the page now."""
    return page.evaluate(COVERED_CONTROLS, within)


def misaligned_buttons(page) -> list[str]:
    """Pairs of buttons side by side whose tops differ by more than 2 px."""
    return page.evaluate(MISALIGNED_BUTTONS)


def layout_problems(page) -> list[str]:
    """Both checks above, on the page as it is now (a state no address reopens)."""
    return covered_controls(page) + misaligned_buttons(page)


def accessibility_of(page) -> list[str]:
    """axe-core on the page as it is now (the answer to a form post, say, which cannot
    be opened again by its address). One line per serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    problems = []
    for violation in Axe().run(page, options=AXE_OPTIONS).response["violations"]:
        if (
            violation["impact"] in ("serious", "critical")
            and violation["id"] not in AXE_SKIPPED_RULES
        ):
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
            problems.append(f"{page.url}: {violation['id']} ({violation['impact']}) -> {targets}")
    return problems


def log_in(page, live_server, username: str = "olivia", wait_for: str = "text=New event") -> None:
    """Log in through the login page (test users' password: correct horse battery
    staple) and wait for the organiser's dashboard (``wait_for``: in any language)."""
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_selector(wait_for)


@pytest.fixture
def screenshot(page, request):
    """Save a full-page screenshot under test-artifacts/ (kept by CI as artefacts)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str, of=None) -> Path:
        """``of``: another page of the test (another person's browser), else ``page``."""
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        (of or page).screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def worker_settings() -> dict[str, str]:
    """Environment variables for the worker of ``task_worker`` (a test module may
    override this fixture: the SMTP server the worker sends to, say)."""
    return {}


@pytest.fixture
def task_worker(live_server, media_root, monkeypatch, worker_settings):
    """A real `qcluster` process working for the live server, as in production.

    Uploads are queued (not run inside the web request as in the other tests), the
    worker processes them, and the album page's live progress shows it.
    """
    import signal
    import subprocess
    import sys

    from django_q.conf import Conf

    from tests.workers import worker_environment

    monkeypatch.setattr(Conf, "SYNC", False)
    env = worker_environment(media_root, **worker_settings)
    root = Path(__file__).resolve().parent.parent.parent
    worker = subprocess.Popen(
        [sys.executable, str(root / "manage.py"), "qcluster"],
        cwd=root, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    yield worker
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
