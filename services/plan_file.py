"""An action plan as a YAML file: validated with pydantic, problems named by line and field.

The layout is described at the top of `data/action_plan_2021_2025.yaml`, the default plan.
Dates are read as text (not by YAML's own date rules), so that a bad date is reported with
its line like any other mistake instead of stopping the reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Self

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from domain.milestones import MilestoneStatus
from domain.models import LANGUAGES
from services.errors import ServiceError

DEFAULT_PLAN = Path(__file__).resolve().parent.parent / "data" / "action_plan_2021_2025.yaml"
MAX_FILE_BYTES = 1024 * 1024
MAX_PILLARS = 20
MAX_MILESTONES = 1000
CODE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$"
#: Telegram usernames as people write them, with or without the @.
USERNAME = re.compile(r"^@?[A-Za-z][A-Za-z0-9_]{4,31}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class PlanProblem:
    """One mistake in a plan file: where (line, field path) and what."""

    line: int | None
    field: str
    message: str

    def describe(self) -> str:
        """`line 12, pillars[0].milestones[2].due: ...`, for people editing the file."""
        where = f"line {self.line}" if self.line is not None else "file"
        return (
            f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class PlanRefused(ServiceError):
    """The plan file has problems; nothing was imported."""

    def __init__(self, problems: Sequence[PlanProblem]) -> None:
        super().__init__("; ".join(p.describe() for p in problems))
        self.problems = list(problems)


def _iso_date(value: object) -> object:
    """Dates are written YYYY-MM-DD; a bare number is not read as a timestamp."""
    if isinstance(value, str) and not _ISO_DATE.match(value.strip()):
        raise ValueError("write the date as YYYY-MM-DD, e.g. 2025-11-30")
    if not isinstance(value, str | date):
        raise ValueError("write the date as YYYY-MM-DD, e.g. 2025-11-30")
    return value


def _titles(value: object) -> object:
    """A title is one text, or one per language."""
    return {"en": value} if isinstance(value, str) else value


def _languages(titles: dict[str, str]) -> dict[str, str]:
    """Titles are keyed by the languages Partnerbot speaks; at least one is given."""
    unknown = [key for key in titles if key not in LANGUAGES]
    if unknown:
        raise ValueError(f"unknown language {unknown[0]!r}: use {', '.join(LANGUAGES)} as keys")
    if not titles:
        raise ValueError("give the title at least in one language")
    return titles


Code = Annotated[str, Field(pattern=CODE, description="letters, digits, . _ -; at most 16")]
Due = Annotated[date, BeforeValidator(_iso_date)]
Text = Annotated[str, Field(min_length=1, max_length=200)]
#: A plan's or a pillar's title: one text (English), or {en: ..., fr: ..., ar: ...}.
Titles = Annotated[dict[str, Text], BeforeValidator(_titles), AfterValidator(_languages)]


class _Strict(BaseModel):
    # Unknown keys are refused, so that a misspelt key is reported rather than ignored.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class MilestoneEntry(_Strict):
    """A milestone as the file describes it."""

    code: Code
    title: Text
    due: Due | None = None
    date_inferred: bool = False
    owner: str | None = Field(default=None, min_length=1, max_length=120)
    assignees: list[int | str] = Field(default_factory=list, max_length=20)
    #: None: keep the stored status on a re-import (planned for a new milestone).
    status: MilestoneStatus | None = None
    progress: int | None = Field(default=None, ge=0, le=100)
    description: str = Field(default="", max_length=1000)

    @field_validator("assignees")
    @classmethod
    def _assignees(cls, values: list[int | str]) -> list[int | str]:
        for value in values:
            if isinstance(value, int) and value <= 0:
                raise ValueError("a Telegram user id is a positive number")
            if isinstance(value, str) and not USERNAME.match(value):
                raise ValueError(f"{value!r} is not a Telegram username such as @ana_diallo")
        return [v if isinstance(v, int) else "@" + v.lstrip("@") for v in values]

    @model_validator(mode="after")
    def _done_is_complete(self) -> Self:
        if self.status is MilestoneStatus.DONE and self.progress not in (None, 100):
            raise ValueError("a done milestone has progress 100 (or leave progress out)")
        return self


class PillarEntry(_Strict):
    """A pillar and its milestones."""

    code: Code
    title: Titles
    milestones: list[MilestoneEntry] = Field(default_factory=list, max_length=MAX_MILESTONES)


class PlanFile(_Strict):
    """A whole action plan."""

    title: Titles
    reference: str | None = Field(default=None, max_length=120)
    pillars: list[PillarEntry] = Field(min_length=1, max_length=MAX_PILLARS)

    def milestones(self) -> Iterator[tuple[PillarEntry, MilestoneEntry]]:
        """Every milestone with its pillar, in file order."""
        for pillar in self.pillars:
            for milestone in pillar.milestones:
                yield pillar, milestone


class _PlanLoader(yaml.SafeLoader):
    """YAML's safe loader, without its implicit dates (pydantic reads those)."""


_PlanLoader.yaml_implicit_resolvers = {
    first: [(tag, rule) for tag, rule in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_plan(content: bytes | str) -> PlanFile:
    """Read and validate a plan file; `PlanRefused` lists every problem with its line."""
    text = _decoded(content) if isinstance(content, bytes) else content
    loader = _PlanLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise PlanRefused([PlanProblem(None, "", "the file is empty")])
        problems = [*_duplicate_keys(root, ()), *_duplicate_codes(root)]
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        at = mark.line + 1 if mark is not None else None
        raise PlanRefused([PlanProblem(at, "", f"not valid YAML: {error.problem}")]) from error
    except yaml.YAMLError as error:
        raise PlanRefused([PlanProblem(None, "", f"not valid YAML: {error}")]) from error
    finally:
        loader.dispose()
    try:
        plan = PlanFile.model_validate(data)
    except ValidationError as error:
        problems += [
            PlanProblem(_line_of(root, e["loc"]), _path(e["loc"]), _message(e))
            for e in error.errors()
        ]
    if problems:
        # Every problem at once, in the order of the file.
        raise PlanRefused(sorted(problems, key=lambda p: (p.line or 0, p.field)))
    return plan


def _decoded(content: bytes) -> str:
    if len(content) > MAX_FILE_BYTES:
        raise PlanRefused([PlanProblem(None, "", "the file is larger than 1 MB")])
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise PlanRefused([PlanProblem(line, "", "the file is not UTF-8 text")]) from error


def _message(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        return "this field is required"
    if error["type"] == "extra_forbidden":
        return "unknown field (check its spelling)"
    return message


def _path(loc: Sequence[int | str]) -> str:
    """`('pillars', 0, 'milestones', 2, 'due')` → `pillars[0].milestones[2].due`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("str", "int") or "[" in part:
            continue  # the branch of a union pydantic tried, not a key of the file
        else:
            path += f".{part}" if path else part
    return path


def _line_of(root: yaml.Node, loc: Sequence[int | str]) -> int:
    """The line of the deepest node of `loc` present in the file (1-based).

    A missing field has no node of its own: the line of the entry that lacks it is given.
    """
    node = root
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            child = next((value for key, value in node.value if key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1


def _duplicate_keys(node: yaml.Node, path: tuple[int | str, ...]) -> Iterator[PlanProblem]:
    """Keys written twice in one mapping (YAML would silently keep the last)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                yield PlanProblem(
                    key.start_mark.line + 1, _path((*path, key.value)), "this key appears twice"
                )
            seen.add(key.value)
            yield from _duplicate_keys(value, (*path, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*path, index))


def _duplicate_codes(root: yaml.Node) -> Iterator[PlanProblem]:
    """Pillar codes, and milestone codes across the whole plan, must be unique (any case).

    Read from the file's nodes, not the validated plan, so that they are listed together
    with every other problem of the file."""
    seen: dict[str, dict[str, int]] = {"pillar": {}, "milestone": {}}
    for p, pillar in enumerate(_items(_child(root, "pillars"))):
        yield from _code_seen(seen["pillar"], "pillar", pillar, ("pillars", p))
        for m, milestone in enumerate(_items(_child(pillar, "milestones"))):
            path = ("pillars", p, "milestones", m)
            yield from _code_seen(seen["milestone"], "milestone", milestone, path)


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((value for k, value in node.value if k.value == key), None)


def _items(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _code_seen(
    seen: dict[str, int], what: str, entry: yaml.Node, path: tuple[int | str, ...]
) -> Iterator[PlanProblem]:
    code = _child(entry, "code")
    if not isinstance(code, yaml.ScalarNode) or not str(code.value).strip():
        return
    line = int(code.start_mark.line) + 1
    first = seen.setdefault(str(code.value).strip().casefold(), line)
    if first != line:
        yield PlanProblem(
            line,
            _path((*path, "code")),
            f"{what} code {code.value} is already used on line {first}",
        )


HEADER = """\
# Action plan of {name}, exported by Partnerbot. Edit it and import it again with
#   python -m bot plan import --partnership {slug} FILE
# Each milestone's update history is kept where its code is unchanged. Leaving `status` out
# keeps the stored status and progress; the layout is described in
# data/action_plan_2021_2025.yaml.
"""


def dump_plan(plan: PlanFile, *, name: str, slug: str) -> str:
    """The plan as YAML that `parse_plan` reads back to the same plan."""
    data = plan.model_dump(mode="json", exclude_defaults=True)
    for pillar in data["pillars"]:
        pillar.setdefault("milestones", [])
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return HEADER.format(name=name, slug=slug) + "\n" + body


@cache
def default_plan() -> PlanFile:
    """The plan every new partnership starts with (read once)."""
    return parse_plan(DEFAULT_PLAN.read_bytes())
