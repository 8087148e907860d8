"""Requests checked against the Bot API specification (`../spec/api.min.json`, scraped by
PaulSonOfLars/telegram-bot-api-spec, MIT licence: see `../spec/README.md` and `LICENSE`):
unknown methods and parameters, missing required ones, nested object shapes, and the
server's own answers."""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tests.e2e.botapi_server.records import JSON, MAX_UPLOAD, ApiError, UploadedFile

SPEC_PATH: Final = Path(__file__).resolve().parent.parent / "spec" / "api.min.json"

_SCALARS: Final = frozenset({"Integer", "Float", "String", "Boolean", "InputFile"})
_DISCRIMINATOR = re.compile(r"(?:must be|always)\s+[\"“]?([a-z_]+)")


#: Parameters Telegram ignores on methods that do not declare them, and that
#: python-telegram-bot sends anyway; any other undeclared parameter is refused.
TOLERATED_EXTRAS = frozenset({"parse_mode"})


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TypeSpec:
    name: str
    fields: dict[str, FieldSpec]
    subtypes: tuple[str, ...]
    #: For a subtype told apart by a field value: (field, value), e.g. ("type", "article").
    discriminator: tuple[str, str] | None


def _fields(raw: Iterable[JSON]) -> dict[str, FieldSpec]:
    return {f["name"]: FieldSpec(f["name"], tuple(f["types"]), bool(f["required"])) for f in raw}


class ApiSpec:
    """The Bot API methods and types, from the scraped specification, as a validator."""

    def __init__(self, data: JSON) -> None:
        self.version = str(data.get("version", "?"))
        self.methods = {
            name: MethodSpec(name, _fields(m.get("fields", [])), tuple(m.get("returns", [])))
            for name, m in data["methods"].items()
        }
        # Telegram matches method names case-insensitively.
        self._by_lower = {name.lower(): name for name in self.methods}
        self.types: dict[str, TypeSpec] = {}
        for name, t in data["types"].items():
            fields = _fields(t.get("fields", []))
            discriminator = None
            for key in ("type", "source", "status"):
                if key in fields:
                    description = next(f for f in t["fields"] if f["name"] == key)["description"]
                    found = _DISCRIMINATOR.search(description)
                    if found:
                        discriminator = (key, found.group(1))
                    break
            self.types[name] = TypeSpec(name, fields, tuple(t.get("subtypes", [])), discriminator)

    @classmethod
    @functools.cache
    def load(cls, path: Path = SPEC_PATH) -> ApiSpec:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def method(self, name: str) -> MethodSpec | None:
        canonical = self._by_lower.get(name.lower())
        return None if canonical is None else self.methods[canonical]

    def request(
        self, spec: MethodSpec, values: JSON, files: dict[str, UploadedFile]
    ) -> tuple[JSON, dict[str, UploadedFile]]:
        """The typed parameters of a request, and its attachments (files sent as
        attach://name); ApiError for what Telegram would refuse."""
        params: JSON = {}
        for name, raw in values.items():
            declared = spec.fields.get(name)
            if declared is None and name in TOLERATED_EXTRAS:
                # python-telegram-bot sends its default parse_mode with every call it routes
                # through one internal helper (editMessageReplyMarkup, sendContact, ...), and
                # Telegram ignores it there; so do we, and nothing else.
                continue
            if declared is None:
                raise ApiError(400, f'Bad Request: unexpected parameter "{name}"')
            if raw is None:
                continue
            value = self.decode(raw, declared.types, name)
            problem = self.check(value, declared.types, name)
            if problem is not None:
                raise ApiError(400, f"Bad Request: can't parse {name}: {problem}")
            params[name] = value
        attachments: dict[str, UploadedFile] = {}
        for name, upload in files.items():
            if len(upload.content) > MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large", violation=True)
            declared = spec.fields.get(name)
            if declared is not None and "InputFile" in declared.types:
                params[name] = upload
            else:
                attachments[name] = upload
        for declared in spec.fields.values():
            if declared.required and declared.name not in params:
                raise ApiError(400, _missing(declared.name))
        referenced = set(_attach_references(params))
        if missing := sorted(referenced - set(attachments)):
            raise ApiError(400, f'Bad Request: can\'t find attached file "{missing[0]}"')
        if unused := sorted(set(attachments) - referenced):
            raise ApiError(400, f'Bad Request: unexpected parameter "{unused[0]}"')
        return params, attachments

    def decode(self, raw: Any, types: Sequence[str], name: str) -> Any:
        """Turn a form value (always a string) into the JSON value its declared types call for.

        python-telegram-bot sends form data: strings as they are, everything else JSON-encoded.
        JSON bodies give typed values already; nested objects may still come as JSON strings.
        """
        if not isinstance(raw, str):
            return raw
        for kind in types:
            if kind == "Integer" and re.fullmatch(r"-?\d+", raw):
                return int(raw)
            if kind == "Float":
                with contextlib.suppress(ValueError):
                    return float(raw)
            if kind == "Boolean" and raw.lower() in ("true", "false", "1", "0"):
                return raw.lower() in ("true", "1")
            if kind in ("String", "InputFile"):
                return raw
        if any(kind not in _SCALARS for kind in types):
            try:
                return json.loads(raw)
            except ValueError:
                raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
        raise ApiError(400, f'Bad Request: parameter "{name}" must be {" or ".join(types)}')

    def check(self, value: Any, types: Sequence[str], path: str) -> str | None:
        """Why `value` is not of any of `types`, or None."""
        problems = [(kind, self._check(value, kind, path)) for kind in types]
        if any(problem is None for _, problem in problems):
            return None
        # Report the problem of the alternative of the same JSON shape as the value.
        for kind, problem in problems:
            if _shape_of_type(kind) == _shape_of_value(value):
                return problem
        return f"{path} must be {' or '.join(types)}"

    def _check(self, value: Any, kind: str, path: str) -> str | None:
        if kind.startswith("Array of "):
            if not isinstance(value, list):
                return f"{path} must be an Array"
            inner = kind.removeprefix("Array of ")
            for index, item in enumerate(value):
                problem = self.check(item, [inner], f"{path}[{index}]")
                if problem:
                    return problem
            return None
        if kind in _SCALARS:
            ok = {
                "Integer": isinstance(value, int) and not isinstance(value, bool),
                "Float": isinstance(value, int | float) and not isinstance(value, bool),
                "String": isinstance(value, str),
                "Boolean": isinstance(value, bool),
                "InputFile": isinstance(value, str | UploadedFile),
            }[kind]
            return None if ok else f"{path} must be {kind}"
        spec = self.types.get(kind)
        if spec is None:
            return None  # a type the scraped specification does not describe
        if not isinstance(value, dict):
            return f"{path} must be a {kind} object"
        if spec.subtypes:
            return self._check_union(value, spec, path)
        if not spec.fields:
            return None  # placeholder types such as CallbackGame
        for key, item in value.items():
            declared = spec.fields.get(key)
            if declared is None:
                return f'{path}: unexpected field "{key}" in {kind}'
            if item is None and not declared.required:
                continue
            problem = self.check(item, declared.types, f"{path}.{key}")
            if problem:
                return problem
        for declared in spec.fields.values():
            if declared.required and value.get(declared.name) is None:
                return f'{path}: field "{declared.name}" is required in {kind}'
        return None

    def _check_union(self, value: JSON, spec: TypeSpec, path: str) -> str | None:
        candidates = []
        for sub in spec.subtypes:
            sub_spec = self.types.get(sub)
            if sub_spec is None:
                continue
            key_value = sub_spec.discriminator
            if key_value is None or value.get(key_value[0]) == key_value[1]:
                candidates.append(sub)
        if not candidates:
            return f"{path}: unknown {spec.name} type {value.get('type')!r}"
        problems = [self.check(value, [sub], path) for sub in candidates]
        if any(problem is None for problem in problems):
            return None

        def overlap(sub: str) -> int:
            return len(set(value) & set(self.types[sub].fields))

        best = max(range(len(candidates)), key=lambda i: overlap(candidates[i]))
        return problems[best]


def _shape_of_type(kind: str) -> str:
    if kind.startswith("Array of "):
        return "array"
    return {"Integer": "number", "Float": "number", "String": "string", "Boolean": "bool"}.get(
        kind, "string" if kind == "InputFile" else "object"
    )


def _shape_of_value(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str | UploadedFile):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _missing(name: str) -> str:
    """Telegram's wording for a missing required parameter, where known."""
    known = {
        "text": "message text is empty",
        "chat_id": "chat_id is empty",
        "message_id": "message identifier is not specified",
        "callback_query_id": "query_id is empty",
        "inline_query_id": "query_id is empty",
        "user_id": "user_id is empty",
        "file_id": "file_id is empty",
    }
    return "Bad Request: " + known.get(name, f'parameter "{name}" is required')


def _attach_references(value: Any) -> Iterator[str]:
    if isinstance(value, str) and value.startswith("attach://"):
        yield value.removeprefix("attach://")
    elif isinstance(value, dict):
        for item in value.values():
            yield from _attach_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _attach_references(item)
