"""Load checklist templates from YAML, reporting every problem with its file, field path and line.

QA leads, not developers, edit these files, so a problem must say exactly where it is and what to
do about it, and one run must report all of them rather than the first.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from qaframework.checklists.model import GRADING_RULES_CONTEXT, ID_PATTERN, GradingRuleFile, Template
from qaframework.framework import DEFAULT_AGENCIES

#: The templates shipped with the project (works from a source checkout or an editable install).
DEFAULT_TEMPLATE_DIR: Path = Path(__file__).resolve().parent.parent.parent / "audit_templates"
#: Shared grading rule files live in this sub-folder of a templates folder.
GRADING_DIR_NAME = "grading"

#: Published rule files by reference (``plan-quality.v2``); None where the file has problems.
RuleRegistry = dict[str, GradingRuleFile | None]

TEMPLATE_SUFFIXES = (".yaml", ".yml")
_FILE_NAME = re.compile(r"^(?P<id>.+)\.v(?P<version>\d+)\.(?P<ext>[A-Za-z]+)$")
_PATH_PREFIX = re.compile(r"^(?P<path>[A-Za-z_]\w*(?:\[\d+\]|\.[A-Za-z_]\w*)*): (?P<message>.+)$", re.S)
_PATH_TOKEN = re.compile(r"[A-Za-z_]\w*|\[(\d+)\]")
TEMPLATE_ID_PATTERN = next(m.pattern for m in Template.model_fields["id"].metadata if getattr(m, "pattern", None))
#: Model messages that concern one field of the object they were raised on.
_SUBFIELD_OF_MESSAGE = (
    ("unknown grade scale", "scale"),
    ("rules mode needs an 'uncapped'", "uncapped"),
    ("say 'when' N/A", "when"),
)

#: Plain words for the id patterns in the model, which QA leads should not have to read as regexes.
_PATTERN_RULES = {
    TEMPLATE_ID_PATTERN: "use lower-case letters, digits and hyphens, starting with a letter or digit",
    ID_PATTERN: "use letters, digits, '-', '_' or '.', starting with a letter or digit",
}

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class TemplateProblem:
    """One thing wrong with one template file, located precisely enough to fix without help."""

    file: str
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class TemplateError(Exception):
    """Raised with every problem found, so a QA lead can fix them all in one pass."""

    def __init__(self, problems: list[TemplateProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class _Loaded:
    """What loading one file produced: the template if valid, the raw data and YAML tree for lines."""

    source: str
    template: Template | None = None
    rule: GradingRuleFile | None = None
    data: Any = None
    root: Node | None = None
    problems: list[TemplateProblem] = field(default_factory=list)

    def problem(self, loc: Loc, message: str) -> None:
        self.problems.append(TemplateProblem(self.source, format_path(loc), line_of(self.root, loc), message))


# --- paths and lines -------------------------------------------------------------------------------


def format_path(loc: Iterable[str | int]) -> str:
    """``('sections', 2, 'questions', 0, 'basis')`` → ``sections[2].questions[0].basis``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _parse_path(path: str) -> Loc:
    return tuple(int(m.group(1)) if m.group(1) else m.group(0) for m in _PATH_TOKEN.finditer(path))


def line_of(root: Node | None, loc: Loc) -> int | None:
    """1-based line of ``loc`` in the YAML tree, or of its nearest ancestor that exists."""
    if root is None:
        return None
    node, line = root, root.start_mark.line + 1
    for part in loc:
        if isinstance(node, MappingNode):
            # The last of duplicated keys is the one whose value was used.
            for key, value in reversed(node.value):
                if isinstance(key, ScalarNode) and key.value == str(part):
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


# --- YAML ------------------------------------------------------------------------------------------


def _parse_yaml(text: str, loaded: _Loaded) -> None:
    """Compose and construct with the safe loader, keeping the node tree for line numbers."""
    loader = yaml.SafeLoader(text)
    try:
        loaded.root = loader.get_single_node()
        loaded.data = loader.construct_document(loaded.root) if loaded.root is not None else None
    except yaml.YAMLError as exc:
        loaded.root = None
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        detail = "; ".join(str(p) for p in (getattr(exc, "problem", None), getattr(exc, "context", None)) if p)
        kind = "YAML value not allowed" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
        loaded.problems.append(
            TemplateProblem(loaded.source, "", mark.line + 1 if mark else None, f"{kind}: {detail or exc}")
        )
    finally:
        loader.dispose()


def _check_tree(loaded: _Loaded) -> bool:
    """Report duplicate keys (PyYAML silently keeps the last) and aliases; False if any alias.

    Aliases (``*name``) are refused: templates should read on their own, and a chain of aliases
    can expand into a structure too large to validate.
    """
    seen: set[int] = set()
    clean = True

    def walk(node: Node, loc: Loc) -> None:
        nonlocal clean
        if id(node) in seen:
            clean = False
            message = "anchors and aliases (&name, *name) are not supported; write the content out in full"
            loaded.problems.append(TemplateProblem(loaded.source, format_path(loc), line_of(loaded.root, loc), message))
            return
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*loc, index))
        if not isinstance(node, MappingNode):
            return
        first: dict[tuple[str, str], int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if isinstance(key, ScalarNode) and (key.tag, key.value) in first:
                message = (
                    f"duplicate key {key.value!r} (first at line {first[key.tag, key.value]}); "
                    "only the last one would be used, so remove one"
                )
                loaded.problems.append(TemplateProblem(loaded.source, format_path((*loc, key.value)), line, message))
            elif isinstance(key, ScalarNode):
                first[key.tag, key.value] = line
            walk(value, (*loc, key.value if isinstance(key, ScalarNode) else "?"))

    if loaded.root is not None:
        walk(loaded.root, ())
    return clean


# --- validation ------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    """A short description of an offending value: never a whole mapping pasted into a message."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "an empty value"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (list, Union, UnionType) or isinstance(annotation, UnionType):
        for arg in get_args(annotation):
            if (found := _model_in(arg)) is not None:
                return found
    return None


def _allowed_keys(loc: Loc, root: type[BaseModel]) -> list[str]:
    """The keys the model accepts at the mapping that holds ``loc[-1]``."""
    model: type[BaseModel] | None = root
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part) if model else None
        model = _model_in(info.annotation) if info else None
        if model is None:
            return []
    return list(model.model_fields) if model else []


def _problem_from_error(error: ErrorDetails, root: type[BaseModel] = Template) -> tuple[Loc, str]:
    """Turn one pydantic error into (location, message a QA lead can act on)."""
    loc: Loc = tuple(error["loc"])
    kind, message, value = error["type"], error["msg"], error.get("input")
    if kind == "missing":
        return loc, f"required key {loc[-1]!r} is missing"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc, root)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return loc, f"unknown key {loc[-1]!r}{hint}; allowed keys here: {', '.join(allowed)}"
    if kind == "value_error":
        message = str(error["ctx"]["error"]) if "ctx" in error else message.removeprefix("Value error, ")
        if match := _PATH_PREFIX.match(message):
            return (*loc, *_parse_path(match["path"])), match["message"]
        for start, subfield in _SUBFIELD_OF_MESSAGE:
            if message.startswith(start):
                return (*loc, subfield), message
        return loc, message
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return loc, f"expected a mapping of 'key: value' lines, got {_show(value)}"
    if kind == "list_type":
        return loc, f"expected a list (one '- ' item per line), got {_show(value)}"
    if kind == "string_type" and value is not None and not isinstance(value, (dict, list)):
        return loc, f"{message}, got {value!r}: put the text in quotes so YAML reads it as text"
    if kind == "string_pattern_mismatch":
        rule = _PATTERN_RULES.get(error.get("ctx", {}).get("pattern", ""), message)
        return loc, f"{rule} (got {_show(value)})"
    if kind == "invalid_key":
        return loc, f"{message}, got {_show(value)}"
    return loc, f"{message} (got {_show(value)})"


def _duplicate_ids(loaded: _Loaded) -> set[str]:
    """Report every duplicate section or question id at once (the model stops at the first)."""
    first: dict[tuple[str, str], str] = {}
    reported: set[str] = set()

    def check(kind: str, value: Any, loc: Loc) -> None:
        if not isinstance(value, str):
            return
        if (kind, value) in first:
            reported.add(format_path(loc))
            loaded.problem(loc, f"duplicate {kind} id {value!r} (first used by {first[kind, value]})")
        else:
            first[kind, value] = format_path(loc[:-1])

    sections = loaded.data.get("sections") if isinstance(loaded.data, dict) else None
    for s, section in enumerate(sections if isinstance(sections, list) else []):
        if isinstance(section, dict):
            check("section", section.get("id"), ("sections", s, "id"))
            questions = section.get("questions")
            for q, question in enumerate(questions if isinstance(questions, list) else []):
                if isinstance(question, dict):
                    check("question", question.get("id"), ("sections", s, "questions", q, "id"))
    return reported


def _validate(loaded: _Loaded, rules: RuleRegistry) -> None:
    if loaded.data is None:
        loaded.problem((), "the file is empty; a template needs id, version, title, description, tier ...")
        return
    if not isinstance(loaded.data, dict):
        loaded.problem(
            (), f"the file must hold a mapping of template keys (id: ..., version: ...), got {_show(loaded.data)}"
        )
        return
    reported = _duplicate_ids(loaded)
    try:
        loaded.template = Template.model_validate(loaded.data, context={GRADING_RULES_CONTEXT: rules})
    except ValidationError as exc:
        for error in exc.errors():
            loc, message = _problem_from_error(error)
            if format_path(loc) not in reported:
                loaded.problem(loc, message)


def _validate_rule(loaded: _Loaded) -> None:
    if not isinstance(loaded.data, dict):
        got = "nothing" if loaded.data is None else _show(loaded.data)
        loaded.problem((), f"a grading rule file holds a mapping (id: ..., version: ..., caps: ...), got {got}")
        return
    try:
        loaded.rule = GradingRuleFile.model_validate(loaded.data)
    except ValidationError as exc:
        for error in exc.errors():
            loaded.problem(*_problem_from_error(error, GradingRuleFile))


def _load_text(text: str, source: str, rules: RuleRegistry | None = None, *, rule_file: bool = False) -> _Loaded:
    loaded = _Loaded(source)
    _parse_yaml(text, loaded)
    if not loaded.problems and _check_tree(loaded):
        if rule_file:
            _validate_rule(loaded)
        else:
            _validate(loaded, shipped_rules() if rules is None else rules)
    if loaded.problems:
        loaded.template = None
        loaded.rule = None
    loaded.problems.sort(key=lambda p: p.line or 0)
    return loaded


def load_template_text(text: str, source: str, rules: RuleRegistry | None = None) -> Template:
    """Parse and validate one template; ``source`` names it in problems (usually the file path).

    A ``grading: <rule-id>.v<N>`` reference is resolved from ``rules`` (default: the shipped rules).
    """
    loaded = _load_text(text, source, rules)
    if loaded.template is None:
        raise TemplateError(loaded.problems)
    return loaded.template


def load_rule_text(text: str, source: str) -> GradingRuleFile:
    """Parse and validate one grading rule file's text."""
    loaded = _load_text(text, source, rule_file=True)
    if loaded.rule is None:
        raise TemplateError(loaded.problems)
    return loaded.rule


# --- files -----------------------------------------------------------------------------------------


def _check_file_name(path: Path, loaded: _Loaded) -> None:
    """The name ``<id>.v<version>.yaml`` lets a QA lead see which version a file is without opening it."""
    data = loaded.data if isinstance(loaded.data, dict) else {}
    tid, version = data.get("id"), data.get("version")
    if not isinstance(tid, str) or not isinstance(version, int) or isinstance(version, bool):
        return  # the id or version problem itself is reported by validation
    expected = f"{tid}.v{version}.yaml"
    if path.name == expected:
        return
    match = _FILE_NAME.match(path.name)
    if match is None:
        loc: Loc = ("id",)
        message = f"file name {path.name!r} is not '<id>.v<version>.yaml'; rename it to {expected!r}"
    elif match["id"] != tid:
        loc = ("id",)
        message = (
            f"file name says id {match['id']!r} but the file has id {tid!r}; rename it to {expected!r} or fix the id"
        )
    elif match["version"] != str(version):
        loc = ("version",)
        message = (
            f"file name says version {match['version']} but the file has version {version}; "
            f"rename it to {expected!r} or fix the version"
        )
    else:
        loc = ()
        message = f"file name must end in '.yaml', not '.{match['ext']}'; rename it to {expected!r}"
    loaded.problem(loc, message)


def _load_file(path: Path, rules: RuleRegistry | None = None, *, rule_file: bool = False) -> _Loaded:
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return _Loaded(
            source, problems=[TemplateProblem(source, "", None, f"cannot read the file: {exc.strerror or exc}")]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
        return _Loaded(source, problems=[TemplateProblem(source, "", line, message)])
    loaded = _load_text(text, source, rules, rule_file=rule_file)
    if loaded.root is not None:
        before = len(loaded.problems)
        _check_file_name(path, loaded)
        if len(loaded.problems) > before:
            loaded.template = None
            loaded.rule = None
            loaded.problems.sort(key=lambda p: p.line or 0)
    return loaded


def load_template_file(path: Path, rules: RuleRegistry | None = None) -> Template:
    """Load one file, also checking that its name matches its id and version."""
    loaded = _load_file(Path(path), rules)
    if loaded.template is None:
        raise TemplateError(loaded.problems)
    return loaded.template


# --- grading rule files ----------------------------------------------------------------------------


def _rule_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in TEMPLATE_SUFFIXES and p.is_file())


def load_rules(folders: Iterable[Path]) -> tuple[RuleRegistry, list[GradingRuleFile], list[TemplateProblem]]:
    """Every rule file in ``folders``; an earlier folder's rule wins over a later one's.

    Returns the registry templates resolve against (a broken file's key maps to None, so a
    template naming it is told to fix that file rather than that the rule does not exist), the
    valid rules, and every problem in the files.
    """
    registry: RuleRegistry = {}
    valid: list[GradingRuleFile] = []
    problems: list[TemplateProblem] = []
    seen: set[Path] = set()
    for folder in folders:
        in_this_folder: dict[str, str] = {}
        for file in _rule_files(Path(folder)):
            if file.resolve() in seen:
                continue
            seen.add(file.resolve())
            loaded = _load_file(file, rule_file=True)
            problems.extend(loaded.problems)
            match = _FILE_NAME.match(file.name)
            key = loaded.rule.key if loaded.rule is not None else (
                f"{match['id']}.v{match['version']}" if match else None
            )
            if key is None:
                continue
            if key in in_this_folder:
                message = f"grading rule {key} is already defined in {in_this_folder[key]}; bump the version"
                problems.append(TemplateProblem(loaded.source, "id", line_of(loaded.root, ("id",)), message))
                continue
            in_this_folder[key] = loaded.source
            if key in registry:
                continue  # an earlier folder (the one being checked) takes precedence
            registry[key] = loaded.rule
            if loaded.rule is not None:
                valid.append(loaded.rule)
    return registry, valid, problems


def shipped_rules() -> RuleRegistry:
    """The grading rules published with the project, for resolving templates read from text."""
    registry, _, _ = load_rules([DEFAULT_TEMPLATE_DIR / GRADING_DIR_NAME])
    return registry


def _is_rule_path(path: Path) -> bool:
    return path.name == GRADING_DIR_NAME if path.is_dir() else path.parent.name == GRADING_DIR_NAME


def _rule_folders(paths: Iterable[Path]) -> list[Path]:
    """The ``grading`` folder beside the files checked (or inside the folder checked), then the shipped one."""
    folders: list[Path] = []
    for path in map(Path, paths):
        base = path if path.is_dir() else path.parent
        folders.append(base / GRADING_DIR_NAME)
    folders.append(DEFAULT_TEMPLATE_DIR / GRADING_DIR_NAME)
    unique: list[Path] = []
    for folder in folders:
        if folder.resolve() not in {f.resolve() for f in unique}:
            unique.append(folder)
    return unique


def _expand(paths: Iterable[Path]) -> tuple[list[Path], list[TemplateProblem]]:
    files: list[Path] = []
    problems: list[TemplateProblem] = []
    seen: set[Path] = set()
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in TEMPLATE_SUFFIXES and p.is_file())
            if not found:
                problems.append(TemplateProblem(str(path), "", None, "no template files (*.yaml) in this folder"))
        elif path.exists():
            found = [path]
        else:
            problems.append(TemplateProblem(str(path), "", None, "no such file or folder"))
            found = []
        for file in found:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append(file)
    return files, problems


@dataclass
class CheckResult:
    """What checking a set of template files found: the valid templates and rules, and every problem."""

    templates: list[Template]
    rules: list[GradingRuleFile]
    problems: list[TemplateProblem]


def _same_test_problems(placed: list[tuple[_Loaded, Template]]) -> list[TemplateProblem]:
    """Questions applying the same shared ``test`` must agree on basis and limiting.

    Only each template's newest version counts: older versions are kept for past audits and
    cannot change. Every question that differs from the test's first use is reported, naming both.
    """
    newest: dict[str, int] = {}
    for _, template in placed:
        newest[template.id] = max(newest.get(template.id, 0), template.version)
    first: dict[str, tuple[str, int | None, str, bool, str]] = {}
    problems: list[TemplateProblem] = []
    for loaded, template in placed:
        if template.version != newest[template.id]:
            continue
        for s_index, section in enumerate(template.sections):
            for q_index, question in enumerate(section.questions):
                if question.test is None:
                    continue
                loc: Loc = ("sections", s_index, "questions", q_index, "test")
                line = line_of(loaded.root, loc)
                here = (loaded.source, line, question.id, question.limiting, question.basis.value)
                if question.test not in first:
                    first[question.test] = here
                    continue
                source, other_line, other_id, limiting, basis = first[question.test]
                if (limiting, basis) == (question.limiting, question.basis.value):
                    continue

                def kind(b: str, lim: bool) -> str:
                    return f"{b.replace('_', ' ')}{', limiting' if lim else ', not limiting'}"

                where = source if other_line is None else f"{source}:{other_line}"
                message = (
                    f"test {question.test!r}: {question.id} is {kind(question.basis.value, question.limiting)} "
                    f"but {other_id} ({where}) is {kind(basis, limiting)}; the same test needs the same "
                    "basis and limiting flag on every tier"
                )
                problems.append(TemplateProblem(loaded.source, format_path(loc), line, message))
    return problems


def check_folder(
    paths: Iterable[Path], known_agencies: Collection[str] | None = None
) -> CheckResult:
    """Load every template under ``paths`` and the grading rules they use; report all problems,
    including ones across files (duplicate versions, shared tests that disagree)."""
    given = [Path(p) for p in paths]
    # A grading folder, or a file in one, is checked as rules, not as a template.
    rule_paths = [p for p in given if _is_rule_path(p)]
    paths = [p for p in given if not _is_rule_path(p)]
    known = set(known_agencies) if known_agencies is not None else {a.code for a in DEFAULT_AGENCIES}
    folders = [p if p.is_dir() else p.parent for p in rule_paths] + _rule_folders(paths)
    registry, rules, rule_problems = load_rules(folders)
    files, problems = _expand(paths) if paths or not rule_paths else ([], [])
    problems.extend(rule_problems)
    templates: list[Template] = []
    placed: list[tuple[_Loaded, Template]] = []
    first_file: dict[tuple[str, int], str] = {}
    for file in files:
        loaded = _load_file(file, registry)
        problems.extend(loaded.problems)
        template = loaded.template
        if template is None:
            continue
        before = len(problems)
        if (template.id, template.version) in first_file:
            message = (
                f"{template.key} is already defined in {first_file[template.id, template.version]}; bump the version"
            )
            problems.append(TemplateProblem(loaded.source, "id", line_of(loaded.root, ("id",)), message))
        else:
            first_file[template.id, template.version] = loaded.source
        for index, agency in enumerate(template.agencies):
            if agency not in known:
                loc: Loc = ("agencies", index)
                message = f"unknown agency {agency!r}; known agencies: {', '.join(sorted(known))}"
                problems.append(TemplateProblem(loaded.source, format_path(loc), line_of(loaded.root, loc), message))
        if len(problems) == before:
            templates.append(template)
            placed.append((loaded, template))
    problems.extend(_same_test_problems(placed))
    return CheckResult(templates, rules, problems)


def check_paths(
    paths: Iterable[Path], known_agencies: Collection[str] | None = None
) -> tuple[list[Template], list[TemplateProblem]]:
    """Load every template under ``paths`` and report all problems, including ones across files.

    Returns the templates that are valid on their own and in the set, plus every problem found.
    """
    result = check_folder(paths, known_agencies)
    return result.templates, result.problems


def load_directory(path: Path, known_agencies: Collection[str] | None = None) -> list[Template]:
    """All templates in a folder, or a TemplateError listing every problem in it."""
    templates, problems = check_paths([Path(path)], known_agencies)
    if problems:
        raise TemplateError(problems)
    return templates


#: Keys added to the model after templates were first published, dropped from the checksum while
#: they hold their default, so a version stored before they existed keeps its checksum.
_LATER_DEFAULTS: dict[str, object] = {"test": None, "breach": None, "rule": None, "overall_caps": []}


def _without_later_defaults(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _without_later_defaults(v)
            for k, v in value.items()
            if not (k in _LATER_DEFAULTS and v == _LATER_DEFAULTS[k])
        }
    if isinstance(value, list):
        return [_without_later_defaults(v) for v in value]
    return value


def template_checksum(template: Template) -> str:
    """Fingerprint of a template's meaning, to catch a file edited without bumping its version.

    A template that uses a shared rule file has the rule's content copied in, so an edited rule
    file changes the checksum of every stored template that uses it.
    """
    content = _without_later_defaults(template.model_dump(mode="json"))
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()
