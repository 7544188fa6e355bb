"""``host``: a preimage host process, for a VM or for a program running natively.

    faultproof host --store DIR [--local KEY=VALUE ...] [--locals FILE.json] [--hints TYPE=SOURCE ...]
                    [-- PROGRAM [ARG ...]]

Without a program it serves on fds 3–6, as started by ``faultproof run … -- faultproof host …``
(spec: mips32.md §10.3). With a program after ``--`` it starts the program with the guest's ends of
the streams on the program's fds 3–6 (preimage-oracle.md §5.3), passes its stdout and stderr
through, and exits with its exit status, so a program can be debugged natively, at full speed,
against exactly the host its VM run will use.

Local inputs (un-localized local keys, preimage-oracle.md §2.1):

* ``--local KEY=VALUE``, repeatable: ``KEY`` is a local index in decimal (``0`` means the key
  ``0x01 ‖ 0^23 ‖ BE8(0)``) or a whole 32-byte local key in hex (``0x01…``, 64 digits);
  ``VALUE`` is hex with a ``0x`` prefix (``0x`` alone is the empty value) or ``@PATH``, the
  contents of a file.
* ``--locals FILE.json``: one JSON object with the same grammar for its names and values, e.g.
  ``{"0": "0x7f7f…", "1": "0x24de…", "2": "0x0300000000000003", "6": "@chain.json"}``; an ``@PATH``
  inside it is relative to the JSON file's folder.

A key given twice, on the command line or in the file, is an error: which value was meant cannot
be guessed. Each malformed entry is reported with its position (``--local #2 'x=1': …``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import click

from faultproof.errors import UsageError
from faultproof.preimage.hints import (
    DirectorySource,
    FileSource,
    HintHandler,
    HintRouter,
    JsonRpcSource,
    UnhandledHint,
    hint_type,
)
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import KEY_SIZE, KeyType, describe_key, local_key
from faultproof.preimage.server import inherited_ends, serve_program
from faultproof.preimage.store import DiskStore
from faultproof.preimage.wire import describe_hint, serve

CHILD_COMMAND = "faultproof.child_command"
U64_MAX = (1 << 64) - 1
SIGNAL_EXIT_BASE = 128

_DECIMAL_INDEX = re.compile(r"0|[1-9][0-9]*")
_HEX_KEY = re.compile(rf"0[xX]((?:[0-9a-fA-F]{{2}}){{{KEY_SIZE}}})")
_HEX_VALUE = re.compile(r"0[xX]((?:[0-9a-fA-F]{2})*)")


# -- a command that starts another one after `--` -----------------------------------------------


class CommandWithChild(click.Command):
    """A click command that takes a command line of another program after ``--``.

    Everything after the first ``--`` is kept verbatim (``child_command()``), so the child's own
    options never reach this command's parser; without ``--`` the command runs with no child.
    """

    def __init__(self, *args: object, child_metavar: str = "COMMAND", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.child_metavar = child_metavar

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            split = args.index("--")
            child = args[split + 1 :]
            if not child:
                raise click.UsageError(f"nothing after --: give the {self.child_metavar} to start", ctx)
            ctx.meta[CHILD_COMMAND] = child
            args = args[:split]
        return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [*super().collect_usage_pieces(ctx), f"[-- {self.child_metavar} [ARG]...]"]


def child_command() -> list[str] | None:
    """The command line given after ``--`` to the running ``CommandWithChild``, if any."""
    child = click.get_current_context().meta.get(CHILD_COMMAND)
    return list(child) if child is not None else None


# -- local inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalInput:
    """One local input and where it was given, for error messages."""

    key: bytes
    value: bytes
    origin: str


def parse_local_key(text: str) -> bytes:
    """A decimal local index or a whole 32-byte local key in hex."""
    if _DECIMAL_INDEX.fullmatch(text):
        index = int(text)
        if index > U64_MAX:
            raise UsageError(f"local index {text} does not fit 8 bytes")
        return local_key(index)
    match = _HEX_KEY.fullmatch(text)
    if match is None:
        raise UsageError(f"key {text!r} is neither a decimal local index nor a 32-byte key in 0x-hex")
    key = bytes.fromhex(match.group(1))
    if key[0] != KeyType.LOCAL:
        raise UsageError(f"{describe_key(key)} is not a local key (type 1); global preimages go in the store")
    return key


def parse_local_value(text: str, base: Path) -> bytes:
    """``0x``-hex, or ``@PATH`` for a file's contents (relative paths from ``base``)."""
    if text.startswith("@"):
        path = base / text[1:]
        try:
            return path.read_bytes()
        except OSError as error:
            raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    match = _HEX_VALUE.fullmatch(text)
    if match is None:
        raise UsageError(f"value {text!r} is neither 0x-hex of whole bytes nor @FILE")
    return bytes.fromhex(match.group(1))


def parse_local_argument(text: str, position: int) -> LocalInput:
    """One ``--local KEY=VALUE``; errors name the argument's position among the ``--local`` flags."""
    origin = f"--local #{position} {text!r}"
    key_text, equals, value_text = text.partition("=")
    try:
        if not equals:
            raise UsageError("expected KEY=VALUE")
        return LocalInput(parse_local_key(key_text), parse_local_value(value_text, Path.cwd()), origin)
    except UsageError as error:
        raise UsageError(f"{origin}: {error}") from None


def read_locals_file(path: Path) -> list[LocalInput]:
    """The local inputs of a JSON file: one object mapping keys to values, as for ``--local``."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"--locals {path}: cannot read: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"--locals {path}: not JSON: {error}") from None
    if not isinstance(document, dict):
        raise UsageError(
            f"--locals {path}: expected one JSON object of KEY: VALUE, got {type(document).__name__}"
        )
    inputs = []
    for name, value in document.items():
        origin = f"--locals {path} entry {name!r}"
        try:
            if not isinstance(value, str):
                raise UsageError(f"the value must be a string (0x-hex or @FILE), got {json.dumps(value)}")
            inputs.append(LocalInput(parse_local_key(name), parse_local_value(value, path.parent), origin))
        except UsageError as error:
            raise UsageError(f"{origin}: {error}") from None
    return inputs


def collect_local_inputs(arguments: tuple[str, ...], locals_file: Path | None) -> dict[bytes, bytes]:
    """Every local input by key, from the file and then the flags; a key given twice is an error."""
    inputs = read_locals_file(locals_file) if locals_file is not None else []
    inputs += [parse_local_argument(text, position) for position, text in enumerate(arguments, start=1)]
    seen: dict[bytes, LocalInput] = {}
    for entry in inputs:
        earlier = seen.setdefault(entry.key, entry)
        if earlier is not entry:
            raise UsageError(
                f"{entry.origin}: {describe_key(entry.key)} was already given by {earlier.origin}"
            )
    return {key: entry.value for key, entry in seen.items()}


# -- hint sources -------------------------------------------------------------------------------

SOURCE_KINDS = ("dir", "file", "rpc")


def parse_hint_source(
    text: str, position: int, rpc_sources: dict[str, JsonRpcSource]
) -> tuple[str, HintHandler]:
    """One ``--hints TYPE=SOURCE``: ``dir:FOLDER``, ``file:FILE`` or ``rpc:URL``."""
    origin = f"--hints #{position} {text!r}"
    kind, equals, source = text.partition("=")
    scheme, colon, location = source.partition(":")
    if not equals or not kind or " " in kind or not colon or scheme not in SOURCE_KINDS or not location:
        raise UsageError(f"{origin}: expected TYPE=dir:FOLDER, TYPE=file:FILE or TYPE=rpc:URL")
    if scheme == "dir":
        if not Path(location).is_dir():
            raise UsageError(f"{origin}: {location} is not a folder")
        return kind, DirectorySource(location)
    if scheme == "file":
        if not Path(location).is_file():
            raise UsageError(f"{origin}: {location} is not a file")
        return kind, FileSource(location)
    rpc = rpc_sources.setdefault(location, JsonRpcSource(location))
    handlers = rpc.handlers()
    if kind not in handlers:
        raise UsageError(f"{origin}: a JSON-RPC source answers {', '.join(sorted(handlers))}, not {kind}")
    return kind, handlers[kind]


def build_router(arguments: tuple[str, ...]) -> HintRouter:
    """A router with one handler per ``--hints`` argument; a type given twice is an error."""
    router = HintRouter()
    rpc_sources: dict[str, JsonRpcSource] = {}
    for position, text in enumerate(arguments, start=1):
        kind, handler = parse_hint_source(text, position, rpc_sources)
        if kind in router.hint_types:
            raise UsageError(f"--hints #{position} {text!r}: hint type {kind} already has a source")
        router.register(kind, handler)
    return router


# -- the command --------------------------------------------------------------------------------


class HintWarnings:
    """Reports hints the host could not handle on stderr: every failed one, and the first of each
    type that has no source (a host whose store already holds everything gets them all)."""

    def __init__(self) -> None:
        self.types_without_source: set[str | None] = set()

    def __call__(self, unhandled: UnhandledHint) -> None:
        if unhandled.error is None:
            kind, _ = hint_type(unhandled.hint)
            if kind in self.types_without_source:
                return
            self.types_without_source.add(kind)
            click.echo(f"warning: {unhandled} (not reported again for this type)", err=True)
            return
        click.echo(f"warning: {unhandled}", err=True)


def _warn_hint_error(hint: bytes, error: Exception) -> None:
    click.echo(f"warning: {describe_hint(hint)}: {type(error).__name__}: {error}", err=True)


def exit_status(status: int) -> int:
    """A child's status as this process's exit status: killed by signal N is 128 + N, as in a shell."""
    return status if status >= 0 else SIGNAL_EXIT_BASE - status


@click.command("host", cls=CommandWithChild, child_metavar="PROGRAM")
@click.option(
    "--store",
    "store_path",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the preimage store (created if missing).",
)
@click.option(
    "--local",
    "local_arguments",
    multiple=True,
    metavar="KEY=VALUE",
    help="A local input: KEY a decimal index or a 32-byte 0x-hex local key; VALUE 0x-hex or @FILE. "
    "Repeatable.",
)
@click.option(
    "--locals",
    "locals_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help='A JSON object of local inputs, {"KEY": "VALUE", …}, with the grammar of --local.',
)
@click.option(
    "--hints",
    "hint_sources",
    multiple=True,
    metavar="TYPE=SOURCE",
    help="Answer hints of TYPE from SOURCE: dir:FOLDER or file:FILE (keccak256 preimages of the files) "
    "or rpc:URL (an L1 JSON-RPC node). Repeatable.",
)
def host(
    store_path: Path,
    local_arguments: tuple[str, ...],
    locals_file: Path | None,
    hint_sources: tuple[str, ...],
) -> int:
    """Serve preimages and hints to a VM, or to a PROGRAM running natively.

    Started by `faultproof run … -- faultproof host …`, it serves on fds 3–6. With a PROGRAM after
    --, it starts the program with the guest's ends of the pipes on its fds 3–6, passes its output
    through and exits with its exit status. A missing preimage stops the host with an error naming
    the key (there is no "not found" answer); a hint it cannot handle is reported and acknowledged.
    """
    local_inputs = collect_local_inputs(local_arguments, locals_file)
    router = build_router(hint_sources)
    program = child_command()
    ends = inherited_ends() if program is None else None  # before the store takes any descriptor
    store = DiskStore(store_path)
    try:
        oracle = OracleHost(store, router, local_inputs, on_unknown_hint=HintWarnings())
        if ends is not None:
            serve(oracle, ends, _warn_hint_error)
            return 0
        assert program is not None
        return exit_status(serve_program(oracle, program, _warn_hint_error))
    finally:
        store.close()
