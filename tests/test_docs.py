"""The documentation a newcomer starts from stays true: the URL map names every module that owns a
URL, and no committed document or code comment points at files outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

from webapp import create_app

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"

#: Where a reference to a file outside the repository could hide.
SCANNED = ("qaframework", "webapp", "tests", "bench", "docs", "audit_templates", "scripts")
SUFFIXES = {".py", ".md", ".html", ".yaml", ".sh", ".scss", ".js"}
OUTSIDE = re.compile(r"\.\./shared|(?<![\w/.-])research/[\w-]+\.md|DESIGN\.md")


def _url_map_section() -> str:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    start = text.index("### Which module owns which URLs")
    return text[start : text.index("\n### ", start + 1)]


def test_url_map_names_every_module_that_owns_a_url(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'docs.sqlite'}"})
    owners = {
        app.view_functions[rule.endpoint].__module__ for rule in app.url_map.iter_rules() if rule.endpoint != "static"
    }
    section = _url_map_section()
    missing = sorted(m for m in owners if f"`{m.replace('.', '/')}.py`" not in section)
    assert owners, "the app registered no URLs"
    assert not missing, f"docs/architecture.md's URL map does not mention {missing}"


def test_nothing_points_outside_the_repository() -> None:
    offenders = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in SUFFIXES or not path.is_file() or "static" in path.parts:
                continue
            if path == Path(__file__).resolve():
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if OUTSIDE.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    for name in ("README.md", "Makefile", "pyproject.toml"):
        for number, line in enumerate((ROOT / name).read_text(encoding="utf-8").splitlines(), start=1):
            if OUTSIDE.search(line):
                offenders.append(f"{name}:{number}: {line.strip()[:100]}")
    assert not offenders, "references to files outside the repository:\n" + "\n".join(offenders)
