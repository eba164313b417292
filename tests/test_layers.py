"""The layout holds (docs/architecture.md): imports only go down the layers, no import
cycle, no module past 400 lines. Read from the source, so a new import the wrong way
fails here before anyone has to find it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    "core", "photos", "ml", "faces", "smart", "attendees", "registrations", "live", "config"
]  # fmt: skip
# What each package may import from the project (besides itself): every pair of apps.
# Engines (photos, ml, faces, smart) never import an audience app (attendees,
# registrations); only the project's URLs and settings import the audience apps.
ALLOWED = {
    "core": set(),
    "ml": set(),
    "photos": {"core"},
    "faces": {"core", "photos", "ml"},
    "smart": {"core", "photos", "ml"},
    "attendees": {"core", "photos", "faces"},
    "registrations": {"core", "photos", "faces", "attendees"},
    # Photos arriving live (cameras, the live wall): an engine over photos.
    "live": {"core", "photos", "faces"},
    "config": {"core", "photos", "faces", "smart", "attendees", "registrations", "live", "ml"},
}
# An engine's public face: what other apps may import of it (the rest is its own).
PUBLIC = {
    "faces": {"faces.api", "faces.models", "faces.signals"},
}
# A signal to look for the concept that wants its own module, not a target: modules
# are split by concept (the 300 of earlier rounds produced splits by size).
MAX_LINES = 400


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, name: str) -> set[str]:
    """Project modules imported anywhere in the file (top level or inside functions)."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {module for module in found if module.split(".")[0] in PACKAGES}


def test_imports_only_go_down_the_layers():
    wrong = []
    for name, path in modules().items():
        own = name.split(".")[0]
        for imported in imports_of(path, name):
            other = imported.split(".")[0]
            if other != own and other not in ALLOWED[own]:
                wrong.append(f"{name} imports {imported}")
    assert wrong == []


def test_other_apps_use_faces_only_through_its_public_module():
    """faces.api (with its models and signals) is all that other apps see of faces:
    its modules can change without their callers being read. The settings and URL
    modules name its apps and URLs, as Django needs."""
    wrong = []
    for name, path in modules().items():
        own = name.split(".")[0]
        if own == "config":
            continue
        for imported in imports_of(path, name):
            engine = imported.split(".")[0]
            # "from faces import api" names the package too: what it takes is checked
            # as "faces.api".
            if engine in PUBLIC and engine != own and imported != engine:
                if not any(
                    imported == public or imported.startswith(public + ".")
                    for public in PUBLIC[engine]
                ):
                    wrong.append(f"{name} imports {imported}")
    assert wrong == []


def test_no_import_cycle_between_modules():
    known = modules()
    graph = {
        name: {m for m in imports_of(path, name) if m in known and m != name}
        for name, path in known.items()
    }
    cycles = []
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    # A package's __init__ importing its own submodules (and them importing names back
    # from it) is the package's interface, not a cycle between modules.
    cycles = [c for c in cycles if not _package_interface(c)]
    assert cycles == []


def _package_interface(cycle: str) -> bool:
    parts = cycle.split(" -> ")
    return any(
        b.startswith(a + ".") or a.startswith(b + ".")
        for a, b in zip(parts, parts[1:], strict=False)
    )


def test_no_module_is_longer_than_400_lines():
    long = {
        name: lines
        for name, path in modules().items()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_checks_see_a_wrong_import():
    """The import reader is not blind: it finds faces' own use of photos."""
    path = ROOT / "faces" / "processing.py"
    assert "photos.services" in imports_of(path, "faces.processing")
