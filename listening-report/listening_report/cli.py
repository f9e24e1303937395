"""The `listening-report` command: refresh the report's tables and views, write the report.

`listening-report refresh` only brings the report's tables up to date (the step after the
target in the scheduled job). Every option can also be set through an environment
variable, which is how Meltano passes a utility's settings (`meltano invoke
listening-report`, `meltano run ... listening-report:refresh`).
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from libsql_access.connection import (
    DEFAULT_DATABASE_URL,
    DatabaseConnectionError,
    connect,
    describe_error,
    is_remote,
    is_sqld_statement_error,
    local_path,
    redact_url,
)
from libsql_access.retry import RetryPolicy

from listening_report import health, html
from listening_report.genres import GenreViews
from listening_report.period import Period, parse_bound, parse_timezone
from listening_report.refresh import Outcome, Refresh
from listening_report.report import ReportQueries, StoredTimes, build_report
from listening_report.source_tables import LayoutError, read_sources
from listening_report.views import Views
from listening_report.year import year_pages
from listening_report.year_page import YearPage, year_file, year_links

if t.TYPE_CHECKING:
    from libsql_access.dbapi import Connection

ENV_PREFIX = "LISTENING_REPORT_"
T = t.TypeVar("T")
DEFAULT_OUTPUT = "output/listening-report.html"


def _setting(
    name: str, *declarations: str, switch: bool = False, **kwargs: t.Any
) -> t.Callable[[t.Any], t.Any]:
    """Declare an option whose environment variable is LISTENING_REPORT_<NAME>.

    A `switch` is an on/off flag spelled `--name/--no-name`.
    """
    option = f"--{name.replace('_', '-')}"
    return click.option(
        f"{option}/--no-{option[2:]}" if switch else option,
        *declarations,
        name,
        envvar=ENV_PREFIX + name.upper(),
        show_envvar=True,
        **kwargs,
    )


def _settings_markdown(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """Print the settings as a Markdown table (for the README) and exit."""
    if value is None or ctx.resilient_parsing:
        return
    lines = ["| Setting | Env var | Default | Description |", "|---|---|---|---|"]
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or not param.envvar:
            continue
        default = param.default if param.show_default is not False else None
        shown = "" if default in (None, "") else f"`{default}`"
        text = (param.help or "").replace("|", "\\|")
        lines.append(f"| `{param.opts[0]}` | `{param.envvar}` | {shown} | {text} |")
    click.echo("\n".join(lines))
    ctx.exit()


def _period(timezone: str, since: str | None, until: str | None) -> Period:
    try:
        zone = parse_timezone(timezone)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--timezone") from None
    bounds = {}
    for hint, text, end in (("--since", since, False), ("--until", until, True)):
        try:
            bounds[hint] = parse_bound(text, zone, end=end) if text else None
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint=hint) from None
    period = Period(zone, bounds["--since"], bounds["--until"])
    if period.since and period.until and period.since >= period.until:
        msg = "--since must come before --until"
        raise click.UsageError(msg)
    return period


def _open(database_url: str | None, auth_token: str | None) -> Connection:
    """Connect, refusing to create an empty file where the target's database should be."""
    url = database_url or DEFAULT_DATABASE_URL
    if not is_remote(url) and not local_path(url).is_file():
        msg = (
            f"No database file at {redact_url(url)!r}. Set --database-url "
            f"({ENV_PREFIX}DATABASE_URL) to the target's `database_url`."
        )
        raise click.ClickException(msg)
    try:
        return connect(database_url, auth_token)
    except DatabaseConnectionError as error:
        raise click.ClickException(str(error)) from None


RETRY = RetryPolicy(attempts=4, first_delay_s=0.5, statement_errors=True)
"""Each run of a command, on a new connection: after sqld 0.24's spurious failure of the
report's large statement, and after a pause while a sync holds the write lock."""


DATABASE_SETTINGS = (
    _setting(
        "database_url",
        default=None,
        help="Database the target writes to: a file path, file: URL, libsql:// (Turso), "
        "or http(s):// (sqld). Empty means `turso.db` in the working directory, as for the "
        "target.",
    ),
    _setting(
        "auth_token",
        default=None,
        show_default=False,
        help="Turso/sqld auth token (JWT) for a remote database. Secret: never printed.",
    ),
    _setting(
        "table_prefix",
        default="",
        help="The target's `table_prefix`: tables are `<prefix>recently_played`, "
        "`<prefix>streaming_history` (the Spotify data export) and `<prefix>listening_gaps`; "
        "the views and the report's tables get the same prefix.",
    ),
)


def _database_settings(command: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """Declare the settings naming the target's database (the report's and `refresh`'s)."""
    for declare in reversed(DATABASE_SETTINGS):
        command = declare(command)
    return command


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@_database_settings
@_setting(
    "output",
    "-o",
    default=DEFAULT_OUTPUT,
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the HTML report (folders are created); the year pages go beside it "
    "(see --years).",
)
@_setting(
    "since",
    default=None,
    help="Report plays from this date (2024-01-31, start of day) or ISO date-time on.",
)
@_setting(
    "until",
    default=None,
    help="Report plays up to this date, inclusive (2024-01-31), or before this ISO date-time.",
)
@_setting(
    "top",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many tracks, artists and albums the top lists show.",
)
@_setting(
    "timezone",
    default="UTC",
    show_default=True,
    help="IANA time zone (e.g. Europe/Berlin) for days, weeks, hours, months and "
    "date bounds in the report. The SQL views always use UTC.",
)
@_setting(
    "years",
    switch=True,
    default=True,
    show_default=True,
    help="Also write a year-in-review page per calendar year of plays (the current one so "
    "far) beside the report, named after it: `listening-report-2025.html` for "
    '`listening-report.html`; the report\'s "Your years" list links them. They cover whole '
    "years in --timezone, whatever --since and --until.",
)
@_setting(
    "views",
    switch=True,
    default=True,
    show_default=True,
    help="Bring the report's tables and the SQL views (top_tracks, ...) up to date before "
    "the report. Turn off for a read-only token: the report then reads the tables if they "
    "are current, else merges every play itself (slower).",
)
@click.option(
    "--about",
    "about",
    is_flag=False,
    flag_value="markdown",
    type=click.Choice(["markdown"]),
    expose_value=False,
    is_eager=True,
    callback=_settings_markdown,
    help="Print the settings as a Markdown table and exit.",
)
@click.pass_context
def main(
    ctx: click.Context,
    database_url: str | None,
    auth_token: str | None,
    table_prefix: str,
    output: Path,
    since: str | None,
    until: str | None,
    top: int,
    timezone: str,
    years: bool,
    views: bool,
) -> None:
    """Keep SQL views of your Spotify plays current and write a static HTML report."""
    ctx.obj = Settings(database_url, auth_token, table_prefix)
    if ctx.invoked_subcommand is not None:
        return
    period = _period(timezone, since, until)
    ready = ctx.obj.run(lambda connection: _prepare(ctx.obj, connection, period, views))
    data = _report_data(ctx.obj, ready, period, top)
    pages = _year_pages(ctx.obj, ready, period.timezone) if years else []
    if years:
        data["years"] = year_links(pages, output)
    _write_report(data, output)
    _write_year_pages(pages, data.get("years", []), output)


def _report_data(settings: Settings, ready: Prepared, period: Period, top: int) -> dict[str, t.Any]:
    """Return the report's figures (see `report.build_report`)."""
    # First on a connection of its own: sqld 0.24 fails large statements less often so.
    return settings.run(
        lambda connection: build_report(
            connection, ready.views, period, top, tables=ready.current, stored=ready.stored
        )
    )


def _write_report(data: dict[str, t.Any], output: Path) -> None:
    """Write the report to `output` and say how large it is and which plays it covers."""
    page = html.render(data)
    _write(page, output)
    totals = data["totals"]
    click.echo(
        f"Wrote {output} ({len(page.encode()) / 1024:.0f} KiB): {totals['plays']} plays"
        + (f" from {totals['first_play']} to {totals['last_play']}" if totals["plays"] else ""),
        err=True,
    )


def _write_year_pages(
    pages: list[dict[str, t.Any]], links: list[dict[str, t.Any]], output: Path
) -> None:
    """Write each year's page beside the report `output` and name them.

    `links` is the report's "Your years" list (see `year_links`), which each page shows too.
    """
    for year in pages:
        _write(YearPage(year, output.name, links).render(), year_file(output, year["year"]))
    if pages:
        click.echo(
            f"Wrote {len(pages)} year page{'s' if len(pages) > 1 else ''} beside it: "
            + ", ".join(link["file"] for link in links),
            err=True,
        )


def _write(page: str, output: Path) -> None:
    """Write a page; a refused write names the setting to fix."""
    try:
        html.write(page, output)
    except OSError as error:
        msg = (
            f"Could not write the report to {output} ({error.strerror}): "
            f"set --output ({ENV_PREFIX}OUTPUT) to a writable file."
        )
        raise click.ClickException(msg) from None


def _year_pages(settings: Settings, ready: Prepared, zone: ZoneInfo) -> list[dict[str, t.Any]]:
    """Return the data of each year's page, from the report's tables; none when they are stale.

    Each year reads its plays from `report_plays`; merging every play instead (stale tables,
    a read-only token) would take seconds per year, so the pages wait for a refresh.
    """
    if not ready.current:
        click.echo(
            "Year pages not written: they need the report's tables current (run "
            "`listening-report refresh` with a read-write token)",
            err=True,
        )
        return []
    return settings.run(
        lambda connection: year_pages(connection, ready.views.prefix, zone, ready.stored.changes)
    )


@main.command()
@_database_settings
@click.pass_obj
def refresh(
    group: Settings, database_url: str | None, auth_token: str | None, table_prefix: str
) -> None:
    """Bring the report's tables and views up to date (run it after the target)."""
    settings = Settings(
        database_url or group.database_url,
        auth_token or group.auth_token,
        table_prefix or group.table_prefix,
    )
    settings.run(
        lambda connection: _refresh(
            settings,
            connection,
            Refresh(read_sources(connection, settings.table_prefix), settings.table_prefix),
        )
    )


@dataclass(frozen=True)
class Settings:
    """Where the target's tables are."""

    database_url: str | None
    auth_token: str | None
    table_prefix: str

    @property
    def url(self) -> str:
        """The database's URL, the default file when unset."""
        return self.database_url or DEFAULT_DATABASE_URL

    def run(self, work: t.Callable[[Connection], T]) -> T:
        """Run `work` on a connection; errors become one line naming the setting to fix.

        `work` runs again on a new connection when sqld 0.24 fails a large statement with
        a spurious error (`is_sqld_statement_error`), and after a pause when another writer
        holds the database (a sync writing: the refresh's write transaction waits for it).
        """
        try:
            return RETRY.run_connected(lambda: _open(self.database_url, self.auth_token), work)
        except LayoutError as error:
            raise click.ClickException(str(error)) from None
        except ValueError as error:
            raise click.ClickException(describe_error(error, self.url, self.auth_token)) from None


def _refresh(settings: Settings, connection: Connection, refresh: Refresh) -> Outcome:
    """Refresh the report's tables, say what was done; a refused write names the setting."""
    try:
        outcome = refresh.run(connection)
        genre_views = GenreViews(settings.table_prefix).ensure(connection)
        health_views = health.create_views(connection, settings.table_prefix)
    except ValueError as error:
        if is_sqld_statement_error(error):
            raise
        msg = (
            "Could not create the views and their tables: "
            f"{describe_error(error, settings.url, settings.auth_token)} "
            f"With a read-only token, run with --no-views ({ENV_PREFIX}VIEWS=false)."
        )
        raise click.ClickException(msg) from None
    if outcome.rebuilt:
        click.echo(
            f"Created or replaced {len(outcome.views)} views: {', '.join(outcome.views)} "
            f"(the report's tables rebuilt in {outcome.seconds:.1f} s)",
            err=True,
        )
    elif outcome.changes:
        rows = f"{outcome.changes} row{'s' if outcome.changes > 1 else ''}"
        click.echo(
            f"Refreshed the report's tables in {outcome.seconds:.2f} s: {rows} of the "
            "target's tables changed since the last refresh",
            err=True,
        )
    else:
        click.echo("The report's tables are current", err=True)
    if genre_views:
        click.echo(f"Created or replaced the genre views: {', '.join(genre_views)}", err=True)
    if health_views:
        names = ", ".join(health_views)
        click.echo(f"Created or replaced the sync health views: {names}", err=True)
    return outcome


@dataclass(frozen=True)
class Prepared:
    """What the report's statement needs to know before it runs."""

    views: Views
    current: bool
    """Whether the report's tables are current."""
    stored: StoredTimes
    """The time zone's offsets over the plays, and whether impossible times are stored."""


def _prepare(settings: Settings, connection: Connection, period: Period, write: bool) -> Prepared:
    """Refresh (when allowed), find whether the tables are current and the time zone's offsets."""
    refresh = Refresh(read_sources(connection, settings.table_prefix), settings.table_prefix)
    if write:
        _refresh(settings, connection, refresh)
        current = True
    else:
        current = refresh.pending(connection) == 0
        if not current:
            click.echo(
                "The report's tables are not current (run `listening-report refresh` with a "
                "read-write token): merging every play for this report",
                err=True,
            )
    queries = ReportQueries(connection, refresh.views, period, tables=current)
    return Prepared(refresh.views, current, queries.stored_times())
