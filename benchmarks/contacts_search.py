"""Contact search over a large directory: latency of the service call.

Creates fictional contacts (50,000 by default) in one partnership of a temporary SQLite file,
then times `ContactService.search` (and the inline search across partnerships) for a set of
realistic queries and prints p50/p95 per query (the first and second page of `/contacts`,
and inline mode), then where each search's time goes (finding its matches in the full-text
index against ranking them):

    python -m benchmarks.contacts_search [--contacts 50000] [--runs 200] [--seed 1]
        [--compare REV [--rounds 3]]

With `--compare`, the same benchmark of git revision REV and of this tree run in turns, each
in a process of its own, and the median and range of each figure over the rounds are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import ROOT, machine, spread, table
from bot.app import make_services
from domain.contacts import ContactFields
from domain.models import PartnershipKind, Role
from services.access import Caller
from services.contact_fields import OrganisationType, identity_key, language_names
from services.contacts import parse_query
from services.container import Services
from storage import contacts as store
from storage import partnerships as partnership_store
from storage.db import Database

FIRST_NAMES = (
    "Aïssatou", "Mamadou", "Fatoumata", "Ibrahima", "Awa", "Ousmane", "Mariama", "Cheikh",
    "Ndèye", "Abdoulaye", "Kouamé", "Adjoua", "Koffi", "Hawa", "Lamin", "Isatou", "Ebrima",
    "Sidi", "Aminetou", "Khadijetou", "Mohamed", "Fatima", "Youssef", "João", "Ana", "Inês",
    "Lucía", "Javier", "María José", "Pablo", "Claire", "Thomas", "Hélène", "Piotr", "Giulia",
    "Daniel", "Elena", "Samuel", "Rokhaya", "Babacar", "Rabi", "Yao", "Salif", "Zeinab",
)  # fmt: skip
LAST_NAMES = (
    "Ndiaye", "Diop", "Sow", "Fall", "Diallo", "Camara", "Touré", "Traoré", "Keïta", "Coulibaly",
    "Konaté", "Sarr", "Faye", "Gueye", "Mbaye", "N'Guessan", "Kouassi", "Bamba", "Yao", "Konan",
    "Ceesay", "Jallow", "Touray", "Ould Brahim", "Mint Salem", "Ould Sidi", "Issoufou", "Maman",
    "Souley", "Moussa", "Gonçalves", "Pereira", "Martín", "Fernández", "Núñez", "Ortega",
    "Dubois", "Girard", "Rousseau", "Zieliński", "Romano", "Weber", "Petrova", "Mensah",
)  # fmt: skip
ORGANISATIONS = (
    ("Police nationale — DPAF", OrganisationType.BORDER_POLICE),
    ("Police nationale — surveillance du territoire", OrganisationType.BORDER_POLICE),
    ("DGSN — direction de la police des frontières", OrganisationType.BORDER_POLICE),
    ("Gambia Immigration Department", OrganisationType.BORDER_POLICE),
    ("Garde-côtes", OrganisationType.BORDER_POLICE),
    ("Gendarmerie nationale — section de recherches", OrganisationType.GENDARMERIE),
    ("Gendarmerie nationale — brigade de recherches", OrganisationType.GENDARMERIE),
    ("Police judiciaire — office central", OrganisationType.JUDICIAL_POLICE),
    ("Polícia Judiciária", OrganisationType.JUDICIAL_POLICE),
    ("Douanes", OrganisationType.CUSTOMS),
    ("CENTIF", OrganisationType.FINANCIAL_INTELLIGENCE),
    ("Parquet du tribunal de grande instance", OrganisationType.JUDICIARY),
    ("Parquet de Nouadhibou", OrganisationType.JUDICIARY),
    ("Comité national de lutte contre la traite", OrganisationType.NATIONAL_COMMITTEE),
    ("Policía Nacional — UCRIF", OrganisationType.MEMBER_STATE_POLICE),
    ("Guardia Civil", OrganisationType.MEMBER_STATE_POLICE),
    ("DCPAF", OrganisationType.MEMBER_STATE_POLICE),
    ("CIVIPOL", OrganisationType.IMPLEMENTER),
    ("FIIAPP", OrganisationType.IMPLEMENTER),
    ("Delegation of the European Union", OrganisationType.EU_DELEGATION),
    ("Europol — European Migrant Smuggling Centre", OrganisationType.EU_AGENCY),
    ("Frontex", OrganisationType.EU_AGENCY),
    ("Eurojust", OrganisationType.EU_AGENCY),
    ("EUCAP Sahel", OrganisationType.EU_MISSION),
    ("Interpol — regional bureau", OrganisationType.INTERPOL),
    ("IOM", OrganisationType.INTERNATIONAL_ORGANISATION),
    ("UNHCR", OrganisationType.INTERNATIONAL_ORGANISATION),
    ("UNODC", OrganisationType.INTERNATIONAL_ORGANISATION),
)  # fmt: skip
COUNTRIES = (
    "Sénégal", "Mauritanie", "Côte d'Ivoire", "Guinée", "Guinée-Bissau", "Niger", "Nigeria",
    "Mali", "Gambia", "Burkina Faso", "Maroc", "Tunisie", "España", "France", "Portugal",
    "Italia", "Netherlands", "Poland", "Belgique", "Cabo Verde",
)  # fmt: skip
ROLES = (
    "Investigator", "Head of unit", "Deputy prosecutor", "Prosecutor", "Analyst",
    "Liaison officer", "Commissaire", "Chef de brigade", "Inspetor", "Oficial de enlace",
    "Programme officer", "Legal adviser", "Risk analysis officer", "Border post commander",
    "Financial analyst", "Protection officer", "Specialist", "Juge d'instruction",
)  # fmt: skip
TOPICS = (
    "document fraud", "maritime departures", "pirogue departures", "Agadez route",
    "Atlantic route", "online advertisements", "financial investigations", "asset tracing",
    "mobile money flows", "witness interviews", "mutual legal assistance", "SIENA exchanges",
    "risk analysis", "search and rescue", "land border crossings", "airport controls",
    "victim protection", "fraude documentaire", "vigilância marítima", "tráfico de migrantes",
)  # fmt: skip
LANGUAGE_SETS = (("fr",), ("fr", "wo"), ("fr", "en"), ("en",), ("ar", "fr"), ("es", "fr", "en"),
                 ("pt", "en"), ("fr", "ha"), ("en", "wo", "mnk"))  # fmt: skip

QUERIES = (
    "gend",
    "police niger",
    "cote divoire",
    "senegal prosecutor",
    "diallo",
    "nguessan douanes",
    "maritime",
    "country:niger",
    "org:frontex role:analyst",
    'country:"guinée-bissau" org:"polícia judiciária"',
    "fraude documentaire mauritanie",
    "xyzzy",
)


def fictional_contacts(count: int, seed: int) -> list[ContactFields]:
    """`count` made-up contacts; the same seed gives the same directory."""
    rng = random.Random(seed)
    made = []
    for number in range(count):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {number}"
        organisation, kind = rng.choice(ORGANISATIONS)
        languages = rng.choice(LANGUAGE_SETS)
        made.append(
            ContactFields(
                name=name,
                organisation=organisation,
                organisation_type=kind.value,
                country=rng.choice(COUNTRIES),
                role=rng.choice(ROLES),
                expertise=tuple(rng.sample(TOPICS, rng.randint(0, 3))),
                languages=languages,
                language_names=language_names(languages),
                phone=f"+22177{number:07d}",
                email=f"contact{number}@example.org",
                telegram=None,
                notes="",
                identity_key=identity_key(name, organisation),
            )
        )
    return made


async def seed_contacts(database: Path, count: int, seed: int) -> None:
    """`count` fictional contacts added, in one transaction, to the one partnership of the
    SQLite file at `database` (for the end-to-end benchmarks' bots)."""
    db = Database(database)
    await db.open()
    try:
        (partnership,) = await partnership_store.list_all(db)
        async with db.transaction() as tx:
            await store.insert_many(
                tx,
                partnership_id=partnership.id,
                rows=fictional_contacts(count, seed),
                now=datetime.now(UTC),
                by=None,
            )
    finally:
        await db.close()


async def timed(call: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    """Milliseconds of each of `runs` calls, after a few unmeasured warm-up calls."""
    for _ in range(3):
        await call()
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(round(fraction * (len(ordered) - 1)), len(ordered) - 1)]


async def run(contacts: int, runs: int, seed: int) -> None:
    """Build the directory and print the latency table."""
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "bench.sqlite3")
        await db.open()
        try:
            services = make_services(db)
            partnership = await services.partnerships.create(
                name="Benchmark network", kind=PartnershipKind.NETWORK, countries=(),
                timezone="UTC", language="en",
            )  # fmt: skip
            await services.partnerships.add_member(
                partnership, user_id=1, name="Bench", role=Role.MEMBER
            )
            started = time.perf_counter()
            rows = fictional_contacts(contacts, seed)
            async with db.transaction() as tx:
                await store.insert_many(
                    tx, partnership_id=partnership.id, rows=rows, now=datetime.now(UTC), by=None
                )
            loaded = time.perf_counter() - started
            caller = await services.access.identify_known(1)
            assert caller is not None
            size = await asyncio.to_thread(_size_mb, Path(folder))
            print(f"{contacts} contacts indexed in {loaded:.1f} s; database {size:.0f} MB")
            print(f"{runs} timed calls per query after 3 warm-up calls\n")
            await latencies(services, db, caller, runs)
            anatomy(Path(folder) / "bench.sqlite3", runs)
        finally:
            await db.close()


async def latencies(services: Services, db: Database, caller: Caller, runs: int) -> None:
    """One line per query: matches, p50 and p95 of the first and second page of /contacts
    and of the first page of inline search."""
    partnership_id = caller.require_membership().partnership_id
    print(
        f"| {'query':<50} | matches | p50 ms | p95 ms | page 2 p50 | page 2 p95 | inline p50"
        " | inline p95 |"
    )
    print(f"|{'-' * 52}|--------:|-------:|-------:|" + "-----------:|" * 4)
    everything: list[float] = []
    for query in QUERIES:
        terms = parse_query(query)
        match = store.match_expression(terms.words, terms.filters)
        exact = 0
        if match is not None:  # every match counted, untimed, for the record
            _found, exact = await store.search(
                db, store.Search((partnership_id,), match=match), limit=1
            )
        page = await timed(functools.partial(services.contacts.search, caller, query), runs)
        second = await timed(
            functools.partial(services.contacts.search, caller, query, page=1), runs
        )
        inline = await timed(
            functools.partial(services.contacts.search_everywhere, caller, query), runs
        )
        everything += page
        print(
            f"| {query:<50} | {exact:>7} | {statistics.median(page):>6.2f}"
            f" | {percentile(page, 0.95):>6.2f} | {statistics.median(second):>10.2f}"
            f" | {percentile(second, 0.95):>10.2f} | {statistics.median(inline):>10.2f}"
            f" | {percentile(inline, 0.95):>10.2f} |"
        )
    print(
        f"\nall queries: p50 {statistics.median(everything):.2f} ms,"
        f" p95 {percentile(everything, 0.95):.2f} ms"
    )


def anatomy(database: Path, runs: int) -> None:
    """Where a search's time goes: finding its matches in the full-text index, then ranking
    them (FTS5's bm25, every match scored to pick the best), each alone, p50 in ms."""
    print(
        "\nWhere the time goes, the full-text index alone (no partnership, no rows read):"
        " finding every match, then ranking them for the first page; p50 ms\n"
    )
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    rows = []
    try:
        for query in QUERIES:
            terms = parse_query(query)
            match = store.match_expression(terms.words, terms.filters)
            if match is None:
                continue
            matches = connection.execute(
                "SELECT count(*) FROM contacts_fts WHERE contacts_fts MATCH ?", (match,)
            ).fetchone()[0]
            find = _median_ms(
                connection,
                "SELECT count(*) FROM contacts_fts WHERE contacts_fts MATCH ?",
                (match,),
                runs,
            )
            rank = _median_ms(
                connection,
                "SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ? AND rank MATCH ?"
                " ORDER BY rank LIMIT 9",
                (match, store.RANKING),
                runs,
            )
            rows.append((query, matches, f"{find:.2f}", f"{rank:.2f}"))
    finally:
        connection.close()
    print(table(("search", "matches", "find ms", "rank ms"), rows))


def _median_ms(
    connection: sqlite3.Connection, sql: str, params: tuple[object, ...], runs: int
) -> float:
    """The median milliseconds of `runs` runs of a statement, after one unmeasured run."""
    connection.execute(sql, params).fetchall()
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        connection.execute(sql, params).fetchall()
        durations.append((time.perf_counter() - started) * 1000)
    return statistics.median(durations)


def _size_mb(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.iterdir()) / 1e6


#: The columns compared between two versions (the older script may lack page 2).
COMPARED = ("p50 ms", "p95 ms", "page 2 p50", "page 2 p95", "inline p50", "inline p95")


def _figures(output: str) -> dict[str, dict[str, float]]:
    """{query: {column: ms}} from a run's table, and the overall line as query "all queries"."""
    figures: dict[str, dict[str, float]] = {}
    headers: list[str] = []
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| query"):
            headers = cells
        elif line.startswith("| ") and headers and len(cells) == len(headers):
            row = dict(zip(headers, cells, strict=True))
            figures[row["query"]] = {c: float(row[c]) for c in COMPARED if c in row}
        elif line.startswith("all queries:"):
            p50, p95 = (float(part.split()[-2]) for part in line.split(":", 1)[1].split(","))
            figures["all queries"] = {"p50 ms": p50, "p95 ms": p95}
    return figures


def compare(revision: str, rounds: int, arguments: list[str]) -> None:
    """Run this tree's benchmark and `revision`'s in turn (ABAB), each in its own process on
    its own directory, and print the median and range of each figure over the rounds."""
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(
            ["git", "archive", revision], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        trees = {revision: Path(folder), "this tree": ROOT}
        results: dict[str, list[dict[str, dict[str, float]]]] = {name: [] for name in trees}
        for number in range(rounds):
            for name, tree in trees.items():
                load = Path("/proc/loadavg").read_text().split()[0]
                print(f"round {number + 1}: {name} (load average {load})", flush=True)
                done = subprocess.run(
                    [sys.executable, "-m", "benchmarks.contacts_search", *arguments],
                    cwd=tree, check=True, capture_output=True, text=True,
                )  # fmt: skip
                results[name].append(_figures(done.stdout))
    print(f"\nmedian (min–max) over {rounds} rounds, ms; before: {revision}, after: this tree\n")

    def cell(name: str, query: str, column: str) -> str:
        values = [run[query][column] for run in results[name] if column in run.get(query, {})]
        if not values:
            return "—"
        return spread(values)

    after = "this tree"
    rows = [[query] + [cell(name, query, column) for column in COMPARED[:2] for name in trees]
            for query in [*QUERIES, "all queries"]]  # fmt: skip
    print(table(["query", "p50 before", "p50 after", "p95 before", "p95 after"], rows))
    rows = [[query, cell(after, query, "page 2 p50"), cell(after, query, "page 2 p95")]
            + [cell(name, query, column) for column in COMPARED[4:] for name in trees]
            for query in QUERIES]  # fmt: skip
    headers = ["query", "page 2 p50", "page 2 p95", "inline p50 before", "inline p50 after"]
    print("\n" + table([*headers, "inline p95 before", "inline p95 after"], rows))


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=50_000, help="directory size")
    parser.add_argument("--runs", type=int, default=200, help="timed calls per query")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the directory")
    parser.add_argument("--compare", metavar="REV", help="also run git revision REV, in turns")
    parser.add_argument("--rounds", type=int, default=3, help="turns of each with --compare")
    arguments = parser.parse_args()
    print(f"Contact search benchmark — {machine().line()}, SQLite {sqlite3.sqlite_version}")
    print(f"load average: {Path('/proc/loadavg').read_text().strip()}")
    if arguments.compare:
        own = ["--contacts", str(arguments.contacts), "--runs", str(arguments.runs)]
        compare(arguments.compare, arguments.rounds, [*own, "--seed", str(arguments.seed)])
        return
    asyncio.run(run(arguments.contacts, arguments.runs, arguments.seed))


if __name__ == "__main__":
    main()
