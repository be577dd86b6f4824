"""The ``qa`` command: set up the database, check templates, add users, import cases, load a demo."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from qaframework.case_import import CaseFileError
from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, check_folder, check_paths
from qaframework.framework import Role
from qaframework.operations.base import InvalidInput, OperationError
from qaframework.store.db import make_engine, session_factory


@contextmanager
def _session(ctx: click.Context) -> Iterator[Session]:
    engine: Engine = ctx.obj["engine"]
    with session_factory(engine)() as session:
        yield session


@click.group()
@click.option("--database-url", envvar="DATABASE_URL", default=None, help="Defaults to SQLite in instance/.")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """EHC plan quality assurance: administration commands."""
    ctx.ensure_object(dict)
    ctx.obj["url"] = database_url


def _engine(ctx: click.Context) -> Engine:
    engine: Engine | None = ctx.obj.get("engine")
    if engine is None:
        engine = ctx.obj["engine"] = make_engine(ctx.obj["url"])
        ctx.find_root().call_on_close(engine.dispose)  # also on errors and sys.exit
    return engine


def _need_database(ctx: click.Context) -> None:
    from qaframework.store.migrate import current_revision, head_revision

    if current_revision(_engine(ctx)) != head_revision():
        raise click.ClickException("The database is not set up or not up to date: run `qa init` first.")


@main.command()
@click.option("--templates", "template_dir", type=click.Path(path_type=Path), default=None,
              help="Folder of checklist templates to load (default: audit_templates/).")
@click.pass_context
def init(ctx: click.Context, template_dir: Path | None) -> None:
    """Create or upgrade the database, add the standard agencies and load the checklist templates."""
    from qaframework.operations.templates import sync_templates
    from qaframework.operations.users import ensure_default_agencies, list_agencies
    from qaframework.store.migrate import current_revision, upgrade

    engine = _engine(ctx)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    click.echo(f"Database {engine.url.render_as_string(hide_password=True)}: "
               + ("up to date" if before == after else f"upgraded {before or 'empty'} → {after}"))
    with _session(ctx) as session:
        added = ensure_default_agencies(session)
        if added:
            click.echo(f"Added {added} standard agencies.")
        templates, problems = check_paths([template_dir or DEFAULT_TEMPLATE_DIR],
                                          known_agencies={a.code for a in list_agencies(session, active_only=False)})
        if problems:
            for problem in problems:
                click.echo(str(problem), err=True)
            raise click.ClickException(f"{len(problems)} problem(s) in the checklist templates; nothing was loaded.")
        try:
            report = sync_templates(session, None, templates)
        except InvalidInput as exc:
            for error in exc.errors:
                click.echo(f"{error.field}: {error.message}", err=True)
            raise click.ClickException("Checklist templates were not loaded.") from None
        click.echo(f"Checklist templates: {len(report.added)} added, {len(report.unchanged)} already loaded.")


@main.group()
def templates() -> None:
    """Checklist templates."""


@templates.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def templates_check(paths: tuple[Path, ...]) -> None:
    """Validate template files (default: audit_templates/); exits non-zero listing every problem."""
    targets = list(paths) or [DEFAULT_TEMPLATE_DIR]
    missing = [p for p in targets if not p.exists()]
    if missing:
        raise click.ClickException(f"No such file or folder: {', '.join(map(str, missing))}")
    result = check_folder(targets)
    found, problems = result.templates, result.problems
    for rule in result.rules:
        click.echo(f"ok  grading rule {rule.key}  {rule.title}")
    for template in found:
        shared = template.grading.rule
        graded = f"rule {shared.key}" if shared else "inline rules"
        click.echo(
            f"ok  {template.key}  tier {int(template.tier)}  {len(template.questions())} questions  "
            f"{graded}  {template.title}"
        )
    for problem in problems:
        click.echo(f"ERROR {problem}", err=True)
    if problems:
        sys.exit(1)
    if not found and not result.rules:
        raise click.ClickException("No template files found.")
    click.echo(f"{len(found)} template(s) and {len(result.rules)} grading rule(s) valid.")


@templates.command("list")
@click.pass_context
def templates_list(ctx: click.Context) -> None:
    """Template versions loaded in the database."""
    from qaframework.operations.templates import all_versions, current_versions

    _need_database(ctx)
    with _session(ctx) as session:
        current = {tv.id for tv in current_versions(session)}
        for tv in all_versions(session):
            flag = "current" if tv.id in current else ("retired" if tv.retired else "superseded")
            click.echo(f"{tv.key:45} tier {tv.tier}  {flag:10} {tv.title}")


@main.group()
def users() -> None:
    """User accounts."""


@users.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--agency", default=None, help="Agency code (required for auditors).")
@click.option("--team", default=None, help="Team name, for Tier 1 peer challenge and oversight.")
@click.option("--name", "display_name", default=None, help="Display name.")
@click.option("--team-manager", is_flag=True, help="Oversees the team's Tier 1 checks.")
@click.option("--leads-panel", is_flag=True, help="Leads the multi-agency panel (panel members only).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def users_add(ctx: click.Context, email: str, role: str, agency: str | None, team: str | None,
              display_name: str | None, team_manager: bool, leads_panel: bool, password_stdin: bool) -> None:
    """Add a user. The password is asked for (or read from standard input)."""
    from qaframework.operations.users import add_user

    _need_database(ctx)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _session(ctx) as session:
        try:
            user = add_user(session, None, email=email, password=password, role=role, agency_code=agency,
                            team=team, display_name=display_name, is_team_manager=team_manager,
                            leads_panel=leads_panel)
        except InvalidInput as exc:
            for error in exc.errors:
                click.echo(f"{error.field}: {error.message}", err=True)
            sys.exit(1)
        agency = f" ({user.agency_code})" if user.agency_code else ""
        click.echo(f"Added {user.email} as {Role(user.role).label}{agency}")


@main.group()
def report() -> None:
    """Workbooks for the board (aggregates only) and extracts for the area's analysts."""


@report.command("extract")
@click.option("--year", required=True, help="Academic year, e.g. 2025-26.")
@click.option("-o", "--output", "path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write: FILE.xlsx or FILE.csv.")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default=None,
              help="xlsx or csv (default: from the file's extension).")
@click.pass_context
def report_extract(ctx: click.Context, year: str, path: Path, fmt: str | None) -> None:
    """The analysts' extract: one row per response, cases as keyed pseudonyms, no free text.

    Record-level data about children: for the area's analysts, under its data-sharing agreement.
    Past Excel's 1,048,576 rows the data continues on sheets Data 2, Data 3, ...; CSV has no limit.
    """
    from qaframework.reports.extract import write_extract

    _need_database(ctx)
    with _session(ctx) as session, _progress_bar("Writing the extract") as progress:
        try:
            summary = write_extract(session, None, year, path, fmt=fmt, progress=progress)
        except OperationError as exc:
            raise click.ClickException(exc.message) from None
    where = f" on {', '.join(summary.sheets)}" if summary.sheets else ""
    click.echo(f"Wrote {summary.rows:,} response(s) for {year} to {path}{where}.")


@contextmanager
def _progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A ``Progress`` callback drawing a bar on a terminal (and staying silent in a pipe or a job)."""
    if not sys.stderr.isatty():
        yield lambda done, total: None
        return
    with click.progressbar(length=1, label=label, file=sys.stderr) as bar:
        def update(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        yield update


@report.command("board")
@click.option("--year", required=True, help="The academic year, like 2025-26.")
@click.option("--cycle", default=None, help='One half term of it, like "Summer 1" (default: the whole year).')
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The workbook to write (.xlsx).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Figures as at this day (YYYY-MM-DD; overdue actions, requests at risk); defaults to today.")
@click.option("--agency", default=None, help="Only this agency's audits (its code, e.g. health).")
@click.option("--phase", default=None, help="Only children in this phase: early_years, primary, secondary, post_16.")
@click.option("--primary-need", default=None, help="Only children with this primary need (SEN2 code, e.g. ASD).")
@click.option("--setting-type", default=None, help="Only children in this type of setting.")
@click.pass_context
def report_board(ctx: click.Context, year: str, cycle: str | None, output: Path, today: datetime | None,
                 agency: str | None, phase: str | None, primary_need: str | None, setting_type: str | None) -> None:
    """The board pack: an Excel workbook of aggregates (small counts suppressed) for a year or half term.

    The reports page's button makes the same workbook. A progress bar shows on a terminal.
    """
    from qaframework.reports.board_pack import write_board_pack
    from qaframework.reports.figures import BoardFilters

    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter(f"the board pack is an Excel workbook: name it .xlsx, not {output.name!r}",
                                 param_hint="-o")
    if not output.parent.is_dir():
        raise click.BadParameter(f"no such folder: {output.parent}", param_hint="-o")
    filters, errors = BoardFilters.parse({"agency": agency or "", "phase": phase or "",
                                          "primary_need": primary_need or "", "setting_type": setting_type or ""})
    if errors:
        hint = "--" + errors[0].field.replace("_", "-")
        raise click.BadParameter("; ".join(e.message for e in errors), param_hint=hint)
    _need_database(ctx)
    with _session(ctx) as session, _progress_bar("Building the board pack") as progress:
        try:
            summary = write_board_pack(session, year, cycle, output, progress, filters=filters,
                                       today=today.date() if today else None)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Wrote the {summary.period} board pack to {output}: {len(summary.sheets)} sheets, "
               f"{summary.hidden} small figure(s) suppressed.")


@main.group()
def jobs() -> None:
    """The background job queue (board packs, extracts, large imports)."""


@jobs.command("worker")
@click.option("--workers", type=click.IntRange(1, 16), default=2, show_default=True,
              help="Jobs run at the same time (threads).")
@click.option("--redis-url", envvar="REDIS_URL", default=None,
              help="The queue's Redis (as the web app's REDIS_URL); default: a SQLite file in the instance folder.")
@click.pass_context
def jobs_worker(ctx: click.Context, workers: int, redis_url: str | None) -> None:
    """Run queued jobs until stopped (Ctrl+C or SIGTERM finishes the jobs in hand, then exits).

    `make run` starts one beside the web server; in production run one or more as a service
    (docs/operations.md). Jobs wait in the queue while no worker runs.
    """
    import logging

    from qaframework.jobs.queue import JobQueue
    from qaframework.store.db import instance_path

    _need_database(ctx)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    queue = JobQueue.for_instance(session_factory(_engine(ctx), writes=False), instance_path(), redis_url)
    broker = "Redis" if redis_url else f"{queue.huey.storage.filename}"
    click.echo(f"Job worker: {workers} at a time, queue in {broker}; results in {queue.results_folder}")
    queue.tidy()
    # The SQLite queue is polled: at most every 2 s when idle, so a job starts within about that.
    queue.consumer(workers, worker_type="thread", max_delay=2.0).run()


@main.group()
def retention() -> None:
    """Deleting what is kept only for a while (Tier 4 conversation notes)."""


@retention.command("purge")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Purge as of this day (YYYY-MM-DD); defaults to today.")
@click.pass_context
def retention_purge(ctx: click.Context, today: datetime | None) -> None:
    """Delete Tier 4 raw notes past their retention period or whose consent ended. Run daily."""
    from qaframework.operations.tier4 import purge_review_notes, retention_days

    _need_database(ctx)
    with _session(ctx) as session:
        result = purge_review_notes(session, None, today=today.date() if today else None)
        click.echo(f"Deleted the notes of {result.total} Tier 4 review(s): {result.retention} after "
                   f"{retention_days(session)} days, {result.consent_ended} whose consent to notes ended.")


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup_command(ctx: click.Context, file: Path) -> None:
    """Write a consistent backup of the whole database to FILE (safe while the service runs).

    SQLite: a SQLite file made with the online backup API. PostgreSQL: a pg_dump custom-format
    archive. FILE is created readable by you only: it holds children's data.
    """
    from qaframework.backup import BackupError, backup

    _need_database(ctx)
    try:
        counts = backup(_engine(ctx), file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backed up {len(counts)} tables ({sum(c.rows for c in counts):,} rows) to {file} "
               f"({file.stat().st_size:,} bytes).")


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@click.pass_context
def restore_command(ctx: click.Context, file: Path, force: bool) -> None:
    """Restore the backup in FILE into the database (refused if it holds data, unless --force)."""
    from qaframework.backup import BackupError, restore
    from qaframework.store.migrate import current_revision, head_revision

    engine = _engine(ctx)
    try:
        counts = restore(engine, file, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored {len(counts)} tables ({sum(c.rows for c in counts):,} rows) from {file}.")
    if current_revision(engine) != head_revision():
        click.echo("The backup is from an older version: run `qa init` to upgrade it.")


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    from qaframework.operations.users import list_users

    _need_database(ctx)
    with _session(ctx) as session:
        for user in list_users(session):
            state = "" if user.active else "  (deactivated)"
            click.echo(f"{user.email:40} {user.role:14} {user.agency_code or '-':22} {user.team or '-'}{state}")


@main.group()
def agencies() -> None:
    """Agencies taking part in the framework."""


@agencies.command("add")
@click.argument("code")
@click.argument("name")
@click.pass_context
def agencies_add(ctx: click.Context, code: str, name: str) -> None:
    """Add an area's own agency (e.g. `qa agencies add youth_justice "Youth justice service"`)."""
    from qaframework.operations.users import add_agency

    _need_database(ctx)
    with _session(ctx) as session:
        try:
            agency = add_agency(session, None, code, name)
        except OperationError as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"Added agency {agency.code}: {agency.name}")


@agencies.command("list")
@click.pass_context
def agencies_list(ctx: click.Context) -> None:
    from qaframework.operations.users import list_agencies

    _need_database(ctx)
    with _session(ctx) as session:
        for agency in list_agencies(session, active_only=False):
            click.echo(f"{agency.code:24} {agency.name}")


@main.group()
def cases() -> None:
    """Cases (children and young people, by pseudonymous reference)."""


#: Problems listed by `qa cases import` before "and N more".
MAX_PROBLEMS_LISTED = 200


@cases.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def cases_import(ctx: click.Context, file: Path) -> None:
    """Import a .csv or .xlsx case file (one row per request) or a SEN2 return (.xml).

    Any problem: nothing is imported and every problem is listed (the first 200, then how many more).
    People in a SEN2 return are stored as keyed pseudonyms (the key is in the instance folder).
    """
    from qaframework.import_limits import ImportLimits, size_text
    from qaframework.operations.cases import import_cases

    _need_database(ctx)
    limits = ImportLimits.from_environment()
    size = file.stat().st_size
    if size > limits.max_file_bytes:  # refused before the file is read into memory
        click.echo(f"{file.name}: the file is {size_text(size)}; a case file must be smaller than "
                   f"{size_text(limits.max_file_bytes)} (QA_IMPORT_MAX_FILE_BYTES). Nothing was imported.", err=True)
        sys.exit(1)
    with _session(ctx) as session:
        try:
            report = import_cases(session, None, file.name, file.read_bytes())
        except CaseFileError as exc:
            for problem in exc.problems[:MAX_PROBLEMS_LISTED]:
                click.echo(f"{file.name}: {problem}", err=True)
            if exc.total > MAX_PROBLEMS_LISTED:
                click.echo(f"... and {exc.total - MAX_PROBLEMS_LISTED:,} more problems.", err=True)
            click.echo(f"Nothing was imported: {exc.total:,} problem(s).", err=True)
            sys.exit(1)
        read = f"{report.persons} person(s)" if report.persons is not None else f"{report.rows} row(s)"
        click.echo(
            f"Imported {read}: {len(report.cases_created)} new case(s), "
            f"{len(report.cases_updated)} updated; {report.requests_created} new request(s), "
            f"{report.requests_updated} updated."
        )


class _PeriodDate(click.ParamType[date]):
    """A date given as 2023, 2023-05 or 2023-05-17: a year or month means its first (or last) day."""

    name = "date"

    def __init__(self, end: bool) -> None:
        self.end = end

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> date:
        from qaframework.operations.timeliness import parse_period_date

        if isinstance(value, date):
            return value
        try:
            return parse_period_date(str(value), end=self.end)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@main.command()
@click.option("--by", "by", type=click.Choice(["year", "month"]), required=True,
              help="One row per calendar year or month.")
@click.option("--from", "start", type=_PeriodDate(end=False), default=None,
              help="First day counted: 2023, 2023-05 or 2023-05-17 (default: the earliest request).")
@click.option("--to", "end", type=_PeriodDate(end=True), default=None,
              help="Last day counted: 2024, 2024-03 or 2024-03-31 (default: the latest request or plan).")
@click.option("--format", "output", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@click.pass_context
def timeliness(ctx: click.Context, by: str, start: date | None, end: date | None, output: str) -> None:
    """Plans issued within 20 weeks (with and without exceptions) and refusals, by year or month.

    As the DfE counts them: plans issued in the period and the share issued within 140 days of the
    request; refusals to assess and to issue as a share of the requests received in the period.
    A period with nothing to divide by shows no percentage (an empty CSV cell, "-" in the table).
    """
    from qaframework.exports import safe_row
    from qaframework.operations.timeliness import CSV_COLUMNS, PeriodKind, timeliness_by_period

    _need_database(ctx)
    with _session(ctx) as session:
        try:
            table = timeliness_by_period(session, None, PeriodKind(by), start, end)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    if output == "csv":
        writer = csv.writer(click.get_text_stream("stdout"), lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(safe_row(row.csv_row()) for row in table.rows)
    else:
        headings = ("Period", "Requests", "Plans issued", "Within 20 weeks %", "Excluding exceptions %",
                    "Refused to assess %", "Refused to issue %")
        lines = [[cell or "-" for cell in row.csv_row()] for row in table.rows]
        widths = [max([len(h), *(len(line[i]) for line in lines)]) for i, h in enumerate(headings)]
        for line in [list(headings), *lines]:
            cells = zip(line, widths, strict=True)
            click.echo("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(cells)))
        if not lines:
            click.echo("No requests recorded in that range.")
    if table.skipped:
        click.echo(f"{table.skipped} request(s) left out: their recorded dates contradict each other "
                   "(each case page says how).", err=True)


@main.group()
def moderation() -> None:
    """Agreement between auditors' grades and the grades the panel agreed."""


@moderation.command("agreement")
@click.option("--by", "by", type=click.Choice(["cycle", "agency", "section", "auditor"]), required=True,
              help="One row per half term, agency, checklist section or auditor.")
@click.option("--cycle", default=None, help='Only this half term, e.g. "2025-26 Autumn 1" (default: every one).')
@click.option("--format", "output", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@click.pass_context
def moderation_agreement(ctx: click.Context, by: str, cycle: str | None, output: str) -> None:
    """Exact and within-one agreement, weighted kappa (linear, quadratic) and the mean shift per group.

    A blank cell (CSV) or "-" (table) is a figure with no value: kappa when every grade is the same one.
    The mean shift is positive where auditors graded more generously than the panel agreed.
    """
    from qaframework.operations.agreement import CSV_HEADER, GroupBy, agreement_by, moderated_cycles

    _need_database(ctx)
    with _session(ctx) as session:
        if cycle and cycle not in moderated_cycles(session):
            known = ", ".join(moderated_cycles(session)) or "none yet"
            raise click.ClickException(
                f"No moderated audits in the half term {cycle!r}. Half terms moderated: {known}."
            )
        rows = [row.csv_row() for row in agreement_by(session, None, GroupBy(by), cycle)]
    if output == "csv":
        writer = csv.writer(click.get_text_stream("stdout"), lineterminator="\n")
        writer.writerow(CSV_HEADER)
        writer.writerows(rows)
        return
    headings = (by.capitalize(), "n", "Exact %", "Within one %", "Kappa linear", "Kappa quadratic", "Mean shift")
    lines = [[cell or "-" for cell in row] for row in rows]
    widths = [max([len(h), *(len(line[i]) for line in lines)]) for i, h in enumerate(headings)]
    for line in [list(headings), *lines]:
        cells = zip(line, widths, strict=True)
        click.echo("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(cells)))
    if not lines:
        click.echo("No moderated audits yet.")


@main.command()
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has cases.")
@click.option("--seed", default=2026, show_default=True, help="Random seed: the same seed gives the same area.")
@click.option("--cases", "case_total", default=300, show_default=True, help="How many cases to make.")
@click.pass_context
def demo(ctx: click.Context, if_empty: bool, seed: int, case_total: int) -> None:
    """Load a realistic synthetic local area: cases, users for every role, audits across tiers and half terms."""
    from qaframework.demo import DEMO_PASSWORD, load_demo
    from qaframework.operations.cases import case_count

    _need_database(ctx)
    with _session(ctx) as session:
        if case_count(session):
            if if_empty:
                click.echo("Demo data not loaded: the database already has cases.")
                return
            raise click.ClickException("The database already has cases; the demo loads into an empty database only.")
        summary = load_demo(session, seed=seed, case_total=case_total)
    click.echo(summary.describe())
    click.echo(f"\nEvery demo user's password is: {DEMO_PASSWORD}")


@main.group()
def sample() -> None:
    """Half-term samples of cases (Tier 3 and 4) or of submitted audits (moderation)."""


def _print_sample(session: Session, sample_id: int) -> None:
    from qaframework.operations.samples import item_keys
    from qaframework.store import Sample

    found = session.get(Sample, sample_id)
    if found is None:
        raise click.ClickException(f"There is no sample {sample_id}.")
    criteria = found.criteria or {}
    how = f"size {criteria['size']}" if criteria.get("size") is not None else f"proportion {criteria.get('proportion')}"
    strata = ", ".join(criteria.get("by") or []) or "none"
    click.echo(f"Sample {found.id}: {found.cycle}, {found.kind}, {how}, strata {strata}, seed {found.seed}, "
               f"{found.size} item(s)", err=True)
    for key in item_keys(session, found):
        click.echo(key)


#: The option each parameter of a draw comes from, to name it in errors.
_SAMPLE_OPTIONS = {"cycle": "--cycle", "kind": "--of", "size": "--size", "proportion": "--proportion",
                   "strata": "--by", "minimum_per_auditor": "--minimum-per-auditor",
                   "exclude_cycles": "--exclude-cycles", "risk": "--risk", "risk_limit": "--risk-limit",
                   "seed": "--seed", "as_of": "--as-of"}


@sample.command("draw")
@click.option("--cycle", required=True, help='The half term, e.g. "2025-26 Autumn 1".')
@click.option("--of", "kind", required=True, type=click.Choice(["cases", "audits"]), help="What to sample.")
@click.option("--size", default="", help="How many to draw (or give --proportion).")
@click.option("--proportion", default="", help="A share to draw instead of a size: 10% or 0.1.")
@click.option("--by", "strata", multiple=True, help="A field to stratify by (repeat for more): phase, "
              "primary_need, setting_type, team; for audits also agency, subject.")
@click.option("--minimum-per-auditor", default="0", show_default=True,
              help="Audit samples: at least this many of each auditor's audits.")
@click.option("--exclude-cycles", default="0", show_default=True,
              help="Leave out cases sampled in this many half terms before this one.")
@click.option("--risk", "risks", multiple=True, help="Add items a risk rule picks out (repeat for more): "
              "issued_late, review_overdue for cases; graded_inadequate, grade_overridden for audits.")
@click.option("--risk-limit", default="", help="At most this many added per risk rule.")
@click.option("--seed", default="", help="Random seed: the same seed and options give the same list.")
@click.option("--as-of", default="", help="The day risk rules are judged on, YYYY-MM-DD (default today).")
@click.pass_context
def sample_draw(ctx: click.Context, cycle: str, kind: str, size: str, proportion: str, strata: tuple[str, ...],
                minimum_per_auditor: str, exclude_cycles: str, risks: tuple[str, ...], risk_limit: str, seed: str,
                as_of: str) -> None:
    """Draw and record a sample; prints one line per item (case reference or audit id).

    The sample's number, seed and parameters go to standard error, so the list can be piped."""
    from qaframework.operations.samples import RawParameters, draw_sample_from

    _need_database(ctx)
    raw = RawParameters(cycle=cycle, kind=kind, size=size, proportion=proportion, strata=strata,
                        minimum_per_auditor=minimum_per_auditor, exclude_cycles=exclude_cycles, risks=risks,
                        risk_limit=risk_limit, seed=seed, as_of=as_of)
    with _session(ctx) as session:
        try:
            drawn = draw_sample_from(session, None, raw, date.today())
        except InvalidInput as exc:
            for error in exc.errors:
                click.echo(f"{_SAMPLE_OPTIONS.get(error.field, error.field)}: {error.message}", err=True)
            raise click.ClickException("No sample was drawn.") from None
        _print_sample(session, drawn.id)


@sample.command("show")
@click.argument("sample_id", type=int)
@click.pass_context
def sample_show(ctx: click.Context, sample_id: int) -> None:
    """Print a recorded sample again: one line per item, as it was drawn."""
    _need_database(ctx)
    with _session(ctx) as session:
        _print_sample(session, sample_id)


@main.command()
@click.pass_context
def summary(ctx: click.Context) -> None:
    """What is in the database: cases, users, audits by tier and status."""
    from qaframework.demo import describe_database

    _need_database(ctx)
    with _session(ctx) as session:
        click.echo(describe_database(session))


if __name__ == "__main__":  # pragma: no cover
    main()
