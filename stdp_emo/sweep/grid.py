"""Grid files: ``[grid]`` axes of config fields, ``[base.*]`` fixed values, the points.

Every point is validated by building its config with
:meth:`ExperimentConfig.replace <stdp_emo.config.ExperimentConfig.replace>` (the
``[base]`` tables with :func:`stdp_emo.config.from_dict`) before anything
runs; a point's id is the digest of its resolved config.
"""
from __future__ import annotations

import collections
import itertools
import tomllib
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .. import config as C
from ..errors import ConfigError

RESERVED_KEYS = {"data.dataset": "the dataset is the sweep's DATASET argument"}
"""Grid keys that cannot vary within one sweep, and why."""


@dataclass(frozen=True)
class Point:
    """One grid point.

    Attributes
    ----------
    id : str
        Digest of the resolved config (stable across restarts).
    values : dict
        ``{"section.field": value}`` for every grid axis.
    config : ExperimentConfig
        The resolved config.
    """

    id: str
    values: dict
    config: C.ExperimentConfig


@dataclass
class Grid:
    """A parsed grid file.

    Attributes
    ----------
    axes : list of (key, values)
        The ``[grid]`` axes in file order.
    base : ExperimentConfig
        Fixed values (defaults < ``--config`` < ``[base]`` < dataset).
    source : str
        Where the grid came from (for messages).
    text : str
        The grid file's text (copied into the sweep record).
    """

    axes: list[tuple[str, list]]
    base: C.ExperimentConfig
    source: str = "<grid>"
    text: str = ""

    @property
    def keys(self) -> list[str]:
        return [k for k, _ in self.axes]

    def points(self) -> list[Point]:
        """Every combination of the axes, validated, in file order.

        Raises
        ------
        ConfigError
            If a combination is not a valid config, or two points resolve to
            the same config.
        """
        out, seen = [], {}
        for combo in itertools.product(*(vals for _, vals in self.axes)):
            values = dict(zip(self.keys, combo))
            sections: dict[str, dict] = collections.defaultdict(dict)
            for key, v in values.items():
                s, f = key.split(".", 1)
                sections[s][f] = v
            try:
                cfg = self.base.replace(**sections)
            except ConfigError as e:
                raise ConfigError(f"{self.source}: [grid] point {format_values(values)}: "
                                  f"{_strip_source(e)}") from None
            pid = cfg.digest()
            if pid in seen:
                raise ConfigError(f"{self.source}: [grid] points {format_values(seen[pid])} and "
                                  f"{format_values(values)} are the same config")
            seen[pid] = values
            out.append(Point(pid, values, cfg))
        return out


def format_values(values: dict) -> str:
    """``{key=value, ...}`` of a point's grid values (for messages)."""
    return "{" + ", ".join(f"{k}={v!r}" for k, v in values.items()) + "}"


def _strip_source(e: Exception) -> str:
    msg = str(e)
    for prefix in ("<override>: ", "<grid>: "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    return msg


def _section_fields() -> dict[str, set[str]]:
    """Sections and their fields, read from the config's dataclasses (names checked here, with
    messages naming the grid key; values are checked by the config itself)."""
    hints = typing.get_type_hints(C.ExperimentConfig)
    return {name: {f.name for f in fields(cls)} for name, cls in hints.items()}


def _flatten_grid(table: dict, source: str) -> list[tuple[str, Any]]:
    """``[grid]`` entries as (dotted key, value); nested tables (``[grid.network]``) allowed."""
    out = []
    for k, v in table.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                if isinstance(v2, dict):
                    raise ConfigError(f"{source}: [grid] '{k}.{k2}': expected a list of values, "
                                      "got a table")
                out.append((f"{k}.{k2}", v2))
        else:
            out.append((k, v))
    return out


def _apply_base(cfg: C.ExperimentConfig, tables: Any, source: str) -> C.ExperimentConfig:
    """``cfg`` with the ``[base.<section>]`` tables merged in, validated by :func:`config.from_dict`.

    Unknown sections and fields and wrongly typed values are the config's own
    one-line errors, prefixed ``<source>: [base]``.
    """
    if not isinstance(tables, dict):
        raise ConfigError(f"{source}: [base]: expected tables like [base.network]")
    merged = C.to_dict(cfg)
    for name, values in tables.items():
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: [base.{name}]: expected a table, got {values!r}")
        merged[name] = {**merged.get(name, {}), **values}
    return C.from_dict(merged, source=f"{source}: [base]")


def parse_grid(text: str, source: str = "<grid>", base: C.ExperimentConfig | None = None,
               dataset: str | None = None) -> Grid:
    """Parse and validate a grid file's text.

    Parameters
    ----------
    text : str
        TOML with a ``[grid]`` table and optional ``[base.<section>]`` tables.
    source : str
        Name used in error messages (the file name).
    base : ExperimentConfig, optional
        Config the ``[base]`` tables are applied to (default: the defaults).
    dataset : str, optional
        Sets ``data.dataset`` (after ``[base]``).

    Returns
    -------
    Grid

    Raises
    ------
    ConfigError
        One line naming ``source`` and the key: not TOML, unknown tables,
        sections or fields, values that are not non-empty lists, values of
        the wrong type, or a grid point that is not a valid config.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML ({e})") from None
    unknown = sorted(set(doc) - {"grid", "base"})
    if unknown:
        raise ConfigError(f"{source}: unknown table [{unknown[0]}] (a grid file has [grid] and "
                          "optional [base.<section>] tables)")
    cfg = base if base is not None else C.ExperimentConfig()
    if "base" in doc:
        cfg = _apply_base(cfg, doc["base"], source)
    if dataset:
        cfg = cfg.replace(data={"dataset": dataset})
    grid = doc.get("grid")
    if not isinstance(grid, dict) or not grid:
        raise ConfigError(f"{source}: no [grid] table with at least one "
                          "\"section.field\" = [values] entry")
    known = _section_fields()
    axes: list[tuple[str, list]] = []
    for key, values in _flatten_grid(grid, source):
        where = f"{source}: [grid] '{key}'"
        parts = key.split(".")
        if len(parts) != 2 or not all(parts):
            raise ConfigError(f"{where}: keys are \"section.field\", e.g. \"network.window\"")
        section, name = parts
        if section not in known:
            raise ConfigError(f"{where}: unknown section '{section}' "
                              f"(known: {', '.join(sorted(known))})")
        if name not in known[section]:
            raise ConfigError(f"{where}: unknown field '{name}' of [{section}] "
                              f"(known: {', '.join(sorted(known[section]))})")
        if key in RESERVED_KEYS:
            raise ConfigError(f"{where}: cannot be swept ({RESERVED_KEYS[key]})")
        if not isinstance(values, list):
            raise ConfigError(f"{where}: expected a list of values, got {values!r} "
                              "(fixed values go in [base.<section>])")
        if not values:
            raise ConfigError(f"{where}: empty list of values")
        for v in values:
            try:
                cfg.replace(**{section: {name: v}})
            except ConfigError as e:
                raise ConfigError(f"{where} = {v!r}: {_strip_source(e)}") from None
        if len({repr(v) for v in values}) != len(values):
            raise ConfigError(f"{where}: repeated values in {values!r}")
        axes.append((key, list(values)))
    return Grid(axes, cfg, source, text)


def load_grid(path: str | Path, base: C.ExperimentConfig | None = None,
              dataset: str | None = None) -> Grid:
    """Read a grid file (see :func:`parse_grid`); a missing file is a ConfigError."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read grid file ({e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    return parse_grid(text, str(path), base, dataset)

