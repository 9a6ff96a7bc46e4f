"""YAML loading that remembers line numbers, for ``file:line: message`` errors.

Admins edit the FAQ, the reminder plan and the triage rules by hand. When they make a
mistake, ``python -m bot check`` must point at the line, so every mapping and list loaded
here carries the (1-based) line where it starts.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot import texts

# The shipped files are at most 36 KB; the caps leave room for ten times more while keeping
# `check` and a reload well under a second (a 50 MB file used to take a minute and 1.2 GB).
MAX_YAML_BYTES = 512 * 1024
MAX_SOURCE_BYTES = 1024 * 1024


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


def _kind_problem(mode: int) -> str | None:
    """Why a file of this type is refused (never opened: a FIFO would block), or None."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return texts.ADMIN_FILE_IS_DIR
    if stat.S_ISFIFO(mode):
        return texts.ADMIN_FILE_IS_FIFO
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return texts.ADMIN_FILE_IS_DEVICE
    return texts.ADMIN_FILE_NOT_REGULAR


def size_cap(path: Path) -> int:
    """The size cap of an admin file: YAML files are parsed (slow), source documents only read."""
    return MAX_YAML_BYTES if path.suffix in (".yaml", ".yml") else MAX_SOURCE_BYTES


def admin_file_problem(path: Path, max_bytes: int | None = None) -> str | None:
    """Why an admin file would be refused, judged from lstat/stat only (nothing is opened).

    Only a regular file inside its own folder, at most ``max_bytes`` long, is read: a FIFO
    would block the reader forever, ``/dev/zero`` would fill the memory, and a symbolic link
    out of the folder would let the bot read (and show in errors) files it has no business with.
    """
    return _inspect(path, max_bytes)[0]


def _inspect(path: Path, max_bytes: int | None) -> tuple[str | None, os.stat_result | None]:
    """(why refused or None, the stat of what would be read)."""
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            target = os.path.realpath(path)
            folder = os.path.realpath(path.parent)
            if os.path.commonpath([target, folder]) != folder:
                return texts.ADMIN_FILE_LINK_OUTSIDE.format(target=target), None
            st = os.stat(path)
    except FileNotFoundError:
        return texts.ADMIN_FILE_MISSING, None
    except OSError as exc:
        return texts.ADMIN_FILE_UNREADABLE.format(reason=exc.strerror or type(exc).__name__), None
    problem = _kind_problem(st.st_mode)
    cap = size_cap(path) if max_bytes is None else max_bytes
    if problem is None and st.st_size > cap:
        problem = _too_big(st.st_size, cap)
    return problem, st


def _too_big(size: int, max_bytes: int) -> str:
    return texts.ADMIN_FILE_TOO_BIG.format(size=_kib(size), limit=_kib(max_bytes))


def _kib(size: int) -> str:
    return f"{size / 1024:,.0f} Ko".replace(",", "\u202f")


def read_admin_file(path: Path, max_bytes: int | None = None) -> str:
    """The UTF-8 text of an admin-edited file, or ContentError(``file:line: message``).

    Every content loader reads through here. The checks of :func:`admin_file_problem` run
    before opening; the file is then opened non-blocking (a FIFO swapped in meanwhile cannot
    hang us), checked again on the open descriptor, and never read past ``max_bytes``.
    """

    def refuse(message: str, line: int = 0) -> ContentError:
        return ContentError([CheckError(str(path), line, message)])

    cap = size_cap(path) if max_bytes is None else max_bytes
    problem, checked = _inspect(path, cap)
    if problem is not None or checked is None:
        raise refuse(problem or texts.ADMIN_FILE_NOT_REGULAR)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise refuse(texts.ADMIN_FILE_UNREADABLE.format(reason=exc.strerror)) from exc
    try:
        opened = os.fstat(fd)
        # Replaced between the checks and the open (a link retargeted, a FIFO swapped in; the
        # new file may even get the freed inode number, hence the type is checked too).
        same = (opened.st_dev, opened.st_ino) == (checked.st_dev, checked.st_ino)
        if not same or not stat.S_ISREG(opened.st_mode):
            raise refuse(texts.ADMIN_FILE_CHANGED)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(cap + 1)
    except OSError as exc:
        raise refuse(texts.ADMIN_FILE_UNREADABLE.format(reason=exc.strerror)) from exc
    finally:
        os.close(fd)
    if len(data) > cap:  # grew after the stat
        raise refuse(_too_big(len(data), cap))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise refuse(texts.ADMIN_FILE_NOT_UTF8, line) from exc


def load_yaml(path: Path) -> Any:
    """Load one YAML file; syntax errors become a ContentError with the line."""
    text = read_admin_file(path)
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = exc.problem or str(exc)
        raise ContentError([CheckError(str(path), line, f"YAML invalide : {problem}")]) from exc
    except yaml.YAMLError as exc:
        raise ContentError([CheckError(str(path), 0, f"YAML invalide : {exc}")]) from exc
