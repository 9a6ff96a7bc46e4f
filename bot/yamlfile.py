"""YAML loading that remembers line numbers, for ``file:line: message`` errors.

Admins edit the FAQ, the reminder plan and the triage rules by hand. When they make a
mistake, ``python -m bot check`` must point at the line, so every mapping and list loaded
here carries the (1-based) line where it starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class LineDict(dict[str, Any]):
    """A mapping from a YAML file, with the line where it starts."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    """A sequence from a YAML file, with the line where it starts and each item's line."""

    line: int = 0
    item_lines: list[int]


@dataclass(frozen=True)
class CheckError:
    """One problem in an admin-edited file."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """Raised when a content file cannot be used; carries every problem found."""

    def __init__(self, errors: list[CheckError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"clé en double « {key} »", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path) -> Any:
    """Load one YAML file; syntax errors become a ContentError with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError([CheckError(str(path), 0, f"lecture impossible : {exc}")]) from exc
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = exc.problem or str(exc)
        raise ContentError([CheckError(str(path), line, f"YAML invalide : {problem}")]) from exc
    except yaml.YAMLError as exc:
        raise ContentError([CheckError(str(path), 0, f"YAML invalide : {exc}")]) from exc
