"""The configuration's one schema mechanism: each key declared once (type, default, range or choices, doc).

Every command's config and every config group is a dataclass (`fakeid.core.configs`) registered in Hydra's
ConfigStore under `schema/<name>`; each YAML file under fakeid/conf names its dataclass first in its defaults
list, so Hydra and OmegaConf check on every compose, and on every override, that a key exists and that its value
has the declared type (the string 'x' is no integer, `true` is no count). What a type cannot say (a range, a
choice, an interval) is the field's metadata, written by `setting()` and read by the one generic check
`config_problem`, which walks a composed config by its nodes' dataclass types. Why structured configs and not
pydantic: Hydra validates the YAML and each override against them while it composes (a typo in a YAML file
fails `make docs` and the tests, not a user's run), and `OmegaConf.get_type` keeps each node's dataclass, so one
walker finds every rule without a second description of the tree.

From the same declaration come: the pre-run check of every job of a sweep (`fakeid.core.cli`), the one-line
`fakeid: error: KEY=VALUE: expected ...` refusals (`compose_error`, `config_problem`), the nearest valid key of
an unknown one, `--help` (Hydra prints the composed config; the docs list the keys), and the configuration
reference of the docs (`reference_rows`).
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import math
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf
from omegaconf.errors import InterpolationResolutionError, MissingMandatoryValue

from fakeid.core.values import boolean_problem, integer_problem, interval_text, is_number, number_problem, shown

RULE = "fakeid"  # the metadata key of a field's rule
# What fakeid.core.configs declares (`declare`): command -> dataclass, group -> choice -> dataclass. Filled by the
# declarations rather than imported from them, so this mechanism knows no command (and imports no declaration).
COMMANDS: dict[str, type] = {}
GROUPS: dict[str, dict[str, type]] = {}


def declare(commands: dict[str, type], groups: dict[str, dict[str, type]]) -> None:
    """The declarations the reference, --help and the unknown-key refusals read."""
    COMMANDS.update(commands)
    GROUPS.update(groups)


def setting(
    default: Any = MISSING,
    doc: str = "",
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    choices: Sequence[Any] | None = None,
    interval: bool = False,
    whole: bool = False,
    auto: bool = False,
    check: Callable[[Any], str | None] | None = None,
) -> Any:
    """One key: its default (a list or dict default is copied for each config), its one-line doc, and what a
    type cannot say: `low`/`high` (an open end with `low_open`/`high_open`), `choices`, `interval` (a list
    [a, b] within [low, high], or one number meaning [a, a]; `whole`: whole numbers), `auto` (the text 'auto' or
    a value within the rule), or `check`, a function for the few keys whose rule is none of these (it returns
    what was expected, or None)."""
    rule = {
        "doc": doc,
        "low": low,
        "high": high,
        "low_open": low_open,
        "high_open": high_open,
        "choices": tuple(choices) if choices is not None else None,
        "interval": interval,
        "whole": whole,
        "auto": auto,
        "check": check,
    }
    if isinstance(default, (list, dict)) or dataclasses.is_dataclass(default):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default), metadata={RULE: rule})
    return dataclasses.field(default=default, metadata={RULE: rule})


# ----------------------------------------------------------------------------- the generic check
def _bounds(rule: dict[str, Any]) -> str:
    low = rule["low"] if rule["low"] is not None else -math.inf
    high = rule["high"]
    return interval_text(low, high, low_open=rule["low_open"], high_open=rule["high_open"])


def _interval_problem(value: Any, rule: dict[str, Any]) -> str | None:
    if is_number(value):
        value = [value, value]
    if not isinstance(value, (list, tuple, ListConfig)) or len(value) != 2:
        return f"expected an interval [low, high] within {_bounds(rule)}"
    if not all(is_number(item) for item in value):
        return f"expected two finite numbers [low, high] within {_bounds(rule)}"
    a, b = (float(item) for item in value)
    if a > b:
        return f"is inverted: expected [low, high] with low <= high, within {_bounds(rule)}"
    if any(_number(item, rule) for item in (a, b)):
        return f"is out of range: expected both ends within {_bounds(rule)}"
    if rule["whole"] and (a != int(a) or b != int(b)):
        return f"expected whole numbers within {_bounds(rule)}"
    return None


def _number(value: Any, rule: dict[str, Any]) -> str | None:
    return number_problem(value, rule["low"], rule["high"], low_open=rule["low_open"], high_open=rule["high_open"])


def rule_problem(value: Any, kind: Any, rule: dict[str, Any]) -> str | None:
    """What `value` fails of a field of type `kind` with `rule`, or None."""
    if value is None:
        return None  # a None the type allows (Optional); OmegaConf refused it already where it does not
    if rule["auto"] and value == "auto":
        return None
    if rule["check"] is not None:
        return rule["check"](value)
    if rule["choices"] is not None:
        if value in rule["choices"]:
            return None
        return f"expected one of {', '.join(default_text(choice) for choice in rule['choices'])}"
    if rule["interval"]:
        return _interval_problem(value, rule)
    bounded = rule["low"] is not None or rule["high"] is not None
    if kind is bool or isinstance(value, bool):
        return boolean_problem(value)
    if kind is int or (rule["auto"] and isinstance(value, int)):
        low = None if rule["low"] is None else int(rule["low"])
        high = None if rule["high"] is None else int(rule["high"])
        problem = integer_problem(value, low, high)
        return f"{problem} or auto" if problem and rule["auto"] else problem
    if bounded or kind is float:
        return _number(value, rule)
    return None


def _field_kind(field: dataclasses.Field) -> Any:
    """int, float, bool or str for a field of that type (Optional too), else None."""
    text = str(field.type).replace("typing.", "").replace(" ", "")
    for kind in (bool, int, float, str):
        if text in (kind.__name__, f"{kind.__name__}|None", f"Optional[{kind.__name__}]"):
            return kind
    return None


def schema_of(node: Any) -> type | None:
    """The dataclass a composed node was declared by, or None for a node without one (a plain dict)."""
    if not isinstance(node, DictConfig):
        return None
    kind = OmegaConf.get_type(node)
    return kind if kind is not None and dataclasses.is_dataclass(kind) else None


def extra_keys(schema: type) -> frozenset[str]:
    """Keys a node of `schema` takes beyond its fields (`+trainer.ARG`: Lightning's Trainer arguments)."""
    extra = getattr(schema, "extra_keys", None)
    return frozenset(extra()) if callable(extra) else frozenset()


def _value(node: DictConfig, key: str) -> Any:
    try:
        return node[key]
    except (MissingMandatoryValue, InterpolationResolutionError, ValueError):
        return MISSING  # missing (`???`) is the run's to refuse (it names what to pass); Hydra's own
        # interpolations (${hydra:...}) resolve only inside a job


def written_values(overrides: Sequence[str]) -> dict[str, str]:
    """{key: the override as typed} of a command line: a refusal quotes what the user wrote (`+foo=1`, `=1`)."""
    return {text.lstrip("+~").partition("=")[0]: text for text in overrides if "=" in text}


def config_problem(cfg: DictConfig, app: str, written: dict[str, str] | None = None, prefix: str = "") -> str | None:
    """The first key of a composed config that its schema refuses, as one line: an unknown key (with the nearest
    valid one) or `KEY=VALUE: expected ... (doc)`; None when every key and value is valid. A node's own values
    are checked before its children's, and an interpolation (`data.seed: ${seed}`) where it is declared only.
    `written`: the overrides as typed (`written_values`), quoted in the refusal."""
    written = written or {}
    schema = schema_of(cfg)
    children: list[tuple[str, Any]] = []
    if schema is not None:
        names = [field.name for field in dataclasses.fields(schema) if not field.name.startswith("_")]
        for key in map(str, cfg):
            known = key in names or key.startswith("_") or getattr(schema, "any_key", False)
            if not known and key not in extra_keys(schema):
                full = f"{prefix}{key}"
                return unknown_key(written.get(full, full), full, app, [f"{prefix}{name}" for name in names])
        for field in dataclasses.fields(schema):
            if field.name not in cfg or OmegaConf.is_interpolation(cfg, field.name):
                continue  # deleted (`~callbacks.progress_bar`), or checked where the interpolation points
            value = _value(cfg, field.name)
            if isinstance(value, DictConfig):
                children.append((field.name, value))
                continue
            rule = field.metadata.get(RULE)
            problem = rule and value is not MISSING and rule_problem(_plain(value), _field_kind(field), rule)
            if problem:
                key = f"{prefix}{field.name}"
                typed = key in written and not isinstance(value, (list, ListConfig))  # a list: as composed
                shown_value = written[key].partition("=")[2] if typed else value
                return refusal(key, shown_value, problem, (rule or {}).get("doc", ""))
    else:
        children = [(key, _value(cfg, key)) for key in map(str, cfg) if isinstance(cfg._get_node(key), DictConfig)]
    for key, child in children:
        problem = config_problem(child, app, written, f"{prefix}{key}.")
        if problem:
            return problem
    return None


def _plain(value: Any) -> Any:
    return OmegaConf.to_container(value, resolve=True) if isinstance(value, ListConfig) else value


def refusal(key: str, value: Any, problem: str, doc: str = "") -> str:
    """`KEY=VALUE: expected ... (doc)`; `KEY=VALUE is out of range: ...` keeps its own verb."""
    plain = _plain(value)
    text = default_text(plain) if isinstance(plain, list) else shown(plain)  # a list as typed: [a, b]
    glue = " " if problem.startswith("is ") else ": "
    return f"{key}={text}{glue}{problem}" + (f" ({doc})" if doc else "")


# ----------------------------------------------------------------------------- unknown keys and composition errors
def nearest(key: str, candidates: Sequence[str]) -> str | None:
    """The valid key a mistyped one most likely meant (difflib's ratio >= 0.6), or None."""
    found = difflib.get_close_matches(key, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_key(text: str, key: str, app: str, candidates: Sequence[str]) -> str:
    """`TEXT: unknown key 'KEY' for python -m fakeid.APP; did you mean 'NEAREST'?` (else the keys it takes)."""
    candidates = [c for c in candidates if not c.rpartition(".")[2].startswith("_")]
    head = f"{text}: unknown key '{key}' for python -m fakeid.{app}"
    owner = other_choice(key)
    if owner:
        group = key.partition(".")[0]
        return f"{text}: a key of {group}={owner}, not of the chosen {group} (pass {group}={owner} to use it)"
    guess = nearest(key, candidates)
    if guess:
        return f"{head}; did you mean '{guess}'?"
    siblings = sorted(c for c in candidates if c.rpartition(".")[0] == key.rpartition(".")[0])
    return f"{head}; expected one of {', '.join(siblings or sorted(candidates))}"


def other_choice(key: str) -> str | None:
    """The choice of a config group that declares `key` (`augment.blur_prob`: `blur_jpeg`), or None."""
    group, _, name = key.partition(".")
    for choice, schema in GROUPS.get(group, {}).items():
        if "." not in name and name in {field.name for field in dataclasses.fields(schema)}:
            return choice
    return None


def all_keys(cfg: Any, prefix: str = "") -> Iterator[str]:
    """Every dotted key of a composed config (what an unknown key is compared with)."""
    if isinstance(cfg, DictConfig):
        for key in map(str, cfg):
            yield f"{prefix}{key}"
            node = cfg._get_node(key)
            if isinstance(node, DictConfig):
                yield from all_keys(node, f"{prefix}{key}.")


# OmegaConf's type names -> the words core.values uses for a value of the wrong type (a text is no value of any)
_TYPE_WORDS: dict[str, str] = {
    "Integer": integer_problem("") or "",
    "Float": number_problem("") or "",
    "Boolean": boolean_problem("") or "",
}


def field_rule(cfg: DictConfig, key: str) -> tuple[Any, dict[str, Any]] | None:
    """(type, rule) of the dotted `key` of a composed config, from its node's dataclass."""
    head, _, name = key.rpartition(".")
    node = OmegaConf.select(cfg, head) if head else cfg
    schema = schema_of(node)
    if schema is None:
        return None
    for field in dataclasses.fields(schema):
        if field.name == name:
            return _field_kind(field), field.metadata.get(RULE) or {}
    return None


def compose_error(err: BaseException, overrides: Sequence[str], app: str, base: DictConfig | None) -> str:
    """One line for a composition error of Hydra or OmegaConf: an unknown key (with the nearest valid one, from
    `base`, the config composed without the overrides) or a value of the wrong type (`KEY=VALUE: expected an
    integer (doc)`); else the error's first two lines."""
    text = " ".join(str(err).split())
    cause = err.__cause__ or err.__context__
    unknown = re.search(r"Could not override '([^']+)'|Key '([^']+)' not in '[^']+'.*?full_key: ([\w.]+)", text)
    if unknown:
        key = unknown.group(1) or unknown.group(3)
        written = next((o for o in overrides if o.lstrip("+~").partition("=")[0] == key), key)
        return unknown_key(written, key, app, list(all_keys(base)) if base is not None else [])
    missing = re.search(r"Could not find '([\w/]+)/([^']+)'", text)
    if missing:
        group, choice = missing.groups()
        options = re.search(rf"Available options in '{group}':(.*?)(Config search path|$)", str(err), re.S)
        choices = ", ".join(options.group(1).split()) if options else ""
        written = next((o for o in overrides if o.lstrip("+~").partition("=")[0] == group), f"{group}={choice}")
        return f"{written} is not a choice of `{group}` (choices: {choices})"
    merging = re.search(r"Error merging override (\S+)", text)
    if merging:
        written = merging.group(1)
        key, _, value = written.lstrip("+~").partition("=")
        words = " ".join(str(cause).split()) if cause else text
        kind = re.search(r"could not be converted to (\w+)|is not a valid (bool)", words)
        found = field_rule(base, key) if base is not None else None
        doc = found[1].get("doc", "") if found else ""
        word = kind and {"bool": "Boolean"}.get(kind.group(2), kind.group(1))
        if word in _TYPE_WORDS:
            return refusal(key, value, _TYPE_WORDS[word], doc)
        return f"{written}: {words.split(' full_key')[0]}"
    lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()]
    return f"{' '.join(overrides)}: {'; '.join(lines[:2]) or type(err).__name__}"


# ----------------------------------------------------------------------------- the reference
def reference_rows(schema: type, prefix: str = "") -> Iterator[tuple[str, str, str, str, str]]:
    """(key, type, default, rule, doc) of every field of `schema`, nested dataclasses flattened."""
    for field in dataclasses.fields(schema):
        if field.name.startswith("_"):
            continue
        default = field.default_factory() if field.default_factory is not dataclasses.MISSING else field.default
        if dataclasses.is_dataclass(default):
            yield from reference_rows(type(default), f"{prefix}{field.name}.")
            continue
        rule = field.metadata.get(RULE) or {}
        yield (
            f"{prefix}{field.name}",
            type_text(field),
            "required" if default is MISSING or default == "???" else default_text(default),
            rule_text(rule),
            rule.get("doc", ""),
        )


def default_text(value: Any) -> str:
    """A default as the command line writes it: true/false, null, [a, b]."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(default_text(item) for item in value) + "]"
    return shown(value)


def type_text(field: dataclasses.Field) -> str:
    """A field's type as the reference writes it: `int`, `int | None`, `List[str]`, `any`."""
    text = str(field.type).replace("typing.", "")
    optional = re.fullmatch(r"Optional\[(.*)\]", text)
    if optional:
        text = f"{optional.group(1)} | None"
    return "any" if text in ("Any", "Any | None") else text


def rule_text(rule: dict[str, Any]) -> str:
    """A rule as the reference writes it: `[0, 1)`, `one of a, b`, `interval within [0, 100]`, `or auto`."""
    if not rule:
        return ""
    parts = []
    if rule.get("choices") is not None:
        parts.append("one of " + ", ".join(default_text(choice) for choice in rule["choices"]))
    elif rule.get("interval"):
        parts.append(f"[a, b] within {_bounds(rule)}" + (", whole" if rule.get("whole") else ""))
    elif rule.get("low") is not None or rule.get("high") is not None:
        parts.append(_bounds(rule))
    if rule.get("check") is not None:
        parts.append((rule["check"].__doc__ or "").strip().split("\n")[0])
    if rule.get("auto"):
        parts.append("or auto")
    return " ".join(part for part in parts if part)


def mapping_problem(values: dict[str, Any], schema: type, prefix: str = "", app: str = "train") -> str | None:
    """What a plain mapping (a level of an eval grid, read from a list) fails of `schema`'s keys and rules."""
    fields = {field.name: field for field in dataclasses.fields(schema)}
    for key, value in values.items():
        if value is None and key in fields:
            continue  # null: the default, or none where the type allows it (OmegaConf typed it on the way in)
        if key not in fields:
            return unknown_key(f"{prefix}{key}={shown(value)}", f"{prefix}{key}", app, [f"{prefix}{n}" for n in fields])
        rule = fields[key].metadata.get(RULE)
        kind = _field_kind(fields[key])
        if kind is int and isinstance(value, float) and value.is_integer():
            value = int(value)  # a level read from YAML or JSON may write 75.0: the same whole number
        if kind in (int, float) and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return refusal(f"{prefix}{key}", value, (integer_problem if kind is int else number_problem)(value) or "")
        problem = rule and rule_problem(value, kind, rule)
        if problem:
            return refusal(f"{prefix}{key}", value, problem, (rule or {}).get("doc", ""))
    return None


def help_text(command: str) -> str:
    """`--help`'s list of a command's groups and keys (Hydra's help template calls it as `${fakeid.keys:COMMAND}`):
    each group with its choices (the files of conf/<group>), each key with its type, default, range and doc from
    the schema, a group's keys as its default choice declares them."""
    from fakeid import CONF_DIR

    schema = COMMANDS[command]
    groups = [field.name for field in dataclasses.fields(schema) if field.type in ("Any", Any) and field.name in GROUPS]
    lines = []
    added = {"train": ["launcher", "experiment"], "eval": ["experiment"]}.get(command, [])  # not keys: Hydra's
    for group in [*groups, *added]:
        choices = ", ".join(sorted(path.stem for path in (CONF_DIR / group).glob("*.yaml")))
        lines.append(f"  {group}: {choices}")
    rows = [row for row in reference_rows(schema) if row[0] not in groups]
    for group in groups:
        rows += [(f"{group}.{row[0]}", *row[1:]) for row in reference_rows(next(iter(GROUPS[group].values())))]
    width = max(len(row[0]) for row in rows)
    if lines:
        lines = ["== Groups (group=choice; +experiment=NAME) ==", *lines, "== Keys (key=value) =="]
    for key, kind, default, rule, doc in rows:
        facts = ", ".join(part for part in (kind, f"default {default}", rule) if part)
        lines.append(f"  {key.ljust(width)}  {doc} ({facts})")
    return "\n".join(lines).replace("$", "$$")  # Hydra fills the template with string.Template: `$` is its own
