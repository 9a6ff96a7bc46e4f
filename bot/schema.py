"""What a valid admin file is, said once with pydantic models, reported as French ``file:line``.

Admins edit the FAQ, the reminder plan and the triage rules by hand; ``python -m bot check``
and the hot reload must point at the line to fix, in French. Models are declared with
:class:`Model` (unknown keys refused, no silent type coercion); :func:`validate` runs one on a
tree loaded by :func:`bot.yamlfile.load_yaml` and turns every pydantic error into a
:class:`CheckError` whose line comes from the YAML marks that the tree keeps.

Rules a type cannot say are written as validators raising :func:`fault`, which may point at a
sibling key (``at``) and quote the line of another node (``ref``, shown as ``{ligne}``). A rule
over the items of a list (unique ids) must not hide the items' own errors, so it runs on the raw
list and records with :func:`note` instead of raising (:func:`note_repeats` for unique ids).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, RootModel, ValidationError, ValidationInfo
from pydantic_core import ErrorDetails, PydanticCustomError

from bot import texts
from bot.yamlfile import CheckError, LineDict, LineList

Loc = tuple[int | str, ...]
M = TypeVar("M", bound=BaseModel)

_FAULT = "fr"
_NOTES = "notes"


class Model(BaseModel):
    """Base of every admin-file model: unknown keys are errors, a number is not a text."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def fault(message: str, at: Loc = (), ref: Loc | None = None) -> PydanticCustomError:
    """A French error; ``at`` moves it to a key next to the validated one (relative to its
    parent mapping), ``ref`` names a node whose line replaces ``{ligne}`` in the message."""
    ctx: dict[str, Any] = {"fr_at": at}
    if ref is not None:
        ctx["fr_ref"] = ref
    return PydanticCustomError(_FAULT, message, ctx)


def note(info: ValidationInfo, loc: Loc, message: str, ref: Loc | None = None) -> None:
    """Record an error without stopping validation (``loc`` and ``ref`` from the file's root)."""
    if isinstance(info.context, dict):
        info.context.setdefault(_NOTES, []).append((loc, message, ref))


def note_repeats(
    info: ValidationInfo,
    items: object,
    at: Loc,
    key: str,
    message: str,
    usable: Callable[[str], bool] | None = None,
) -> dict[str, int]:
    """Note every item of the raw list ``items`` (at ``at`` from the root) whose ``key`` repeats
    an earlier one; ``{id}`` in the message is the value, ``{ligne}`` the first one's line.

    Values that are not texts, or not ``usable``, are left to the items' own validation.
    Returns the index of the first item of each value.
    """
    first: dict[str, int] = {}
    for i, item in enumerate(items if isinstance(items, list) else ()):
        value = item.get(key) if isinstance(item, dict) else None
        if not isinstance(value, str) or (usable is not None and not usable(value)):
            continue
        if value in first:
            note(info, (*at, i, key), message.replace("{id}", value), ref=(*at, first[value], key))
        else:
            first[value] = i
    return first


def validate(
    model: type[M], data: Any, path: str, context: dict[str, Any] | None = None
) -> tuple[M | None, list[CheckError]]:
    """The model (None if a type or a rule failed) and every problem, in line order.

    A rule recorded with :func:`note` leaves the model built: the file is still refused by
    its errors, but what is valid in it can serve the checks of other files (the synonyms).

    ``context`` carries what validators need beyond the file (the source page, the synonyms).
    """
    context = {**(context or {}), _NOTES: []}
    errors: list[tuple[int, bool, str]] = []
    built: M | None = None
    try:
        built = model.model_validate(data, context=context)
    except ValidationError as exc:
        for err in exc.errors():
            loc = err["loc"]
            ctx = err.get("ctx") or {}
            if err["type"] == _FAULT:
                loc = (*loc[:-1], *ctx["fr_at"]) if ctx["fr_at"] else loc
            message = _french(err, model)
            if "fr_ref" in ctx:
                ref = (*err["loc"][:-1], *ctx["fr_ref"])
                message = message.replace("{ligne}", str(line_of(data, ref)))
            errors.append((line_of(data, loc), err["type"] != "extra_forbidden", message))
    for loc, message, ref in context.get(_NOTES, []):
        if ref is not None:
            message = message.replace("{ligne}", str(line_of(data, ref)))
        errors.append((line_of(data, loc), True, message))
    # File order; on one line an unknown key first: it is usually the typo behind the rest.
    errors.sort(key=lambda e: (e[0], e[1]))
    return built, [CheckError(path, line, message) for line, _, message in errors]


def line_of(data: Any, loc: Sequence[int | str]) -> int:
    """The line of the node at ``loc``; a missing key is reported on its mapping's line."""
    line = data.line if isinstance(data, LineDict | LineList) else 1
    node = data
    for part in loc:
        if isinstance(node, LineDict) and isinstance(part, str):
            if part not in node:
                break
            line, node = node.key_lines[part], node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line, node = node.item_lines[part], node[part]
        # Any other part is pydantic's own (a union member's name): it names no node.
    return line


def _french(err: ErrorDetails, root: type[BaseModel]) -> str:
    loc, kind, ctx = err["loc"], err["type"], err.get("ctx") or {}
    if kind == _FAULT:
        return err["msg"]
    key = _key(loc)
    if kind == "missing":
        return texts.SCHEMA_MISSING.format(key=key)
    if kind == "extra_forbidden":
        known = _fields(_model_at(root, loc[:-1]))
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = (
            texts.SCHEMA_DID_YOU_MEAN.format(key=close[0])
            if close
            else texts.SCHEMA_KNOWN_KEYS.format(keys=", ".join(known))
        )
        where = texts.SCHEMA_AT_TOP if len(loc) == 1 else ""
        return texts.SCHEMA_UNKNOWN.format(key=loc[-1], where=where, hint=hint)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        fields = ", ".join(_fields(_model_at(root, loc)))
        if not loc:
            return texts.SCHEMA_FILE_MAPPING.format(fields=fields)
        return texts.SCHEMA_MAPPING.format(key=key, fields=fields)
    if kind in ("list_type", "tuple_type"):
        if not loc:
            return texts.SCHEMA_FILE_LIST
        return texts.SCHEMA_LIST.format(key=key)
    if kind == "too_short":
        return texts.SCHEMA_EMPTY_LIST.format(key=key)
    if kind == "too_long":
        return texts.SCHEMA_TOO_MANY.format(
            key=key, count=ctx.get("actual_length"), limit=ctx.get("max_length")
        )
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", " ou ")
        return texts.SCHEMA_CHOICE.format(key=key, value=err["input"], expected=expected)
    message = _TYPES.get(kind, texts.SCHEMA_BAD_VALUE)
    return message.format(key=key)


_TYPES = {
    "bool_type": texts.SCHEMA_BOOL,
    "string_type": texts.SCHEMA_TEXT,
    "int_type": texts.SCHEMA_INT,
    "string_too_short": texts.SCHEMA_EMPTY_TEXT,
}


def _key(loc: Loc) -> str:
    """How the erroneous node is named: its key, or « élément de key » for a list item."""
    for i in range(len(loc) - 1, -1, -1):
        if isinstance(loc[i], str):
            if i == len(loc) - 1:
                return texts.SCHEMA_KEY.format(key=loc[i])
            return texts.SCHEMA_ITEM_OF.format(key=loc[i])
    return texts.SCHEMA_FILE_ITEM if loc else texts.SCHEMA_THE_FILE


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class describing the node at ``loc`` (for the keys it allows)."""
    model: type[BaseModel] | None = _inner_model(root)
    for part in loc:
        if model is None:
            return None
        if isinstance(part, str) and part in model.model_fields:
            model = _inner_model(model.model_fields[part].annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The first model class inside a type (``list[Step] | None`` gives Step)."""
    if isinstance(annotation, type) and issubclass(annotation, RootModel):
        return _inner_model(annotation.model_fields["root"].annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _fields(model: type[BaseModel] | None) -> list[str]:
    """The keys a model allows, in the order it declares them."""
    return [] if model is None else list(model.model_fields)
