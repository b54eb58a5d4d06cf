"""Writes a planned mapping as the source of one Python function and compiles it.

Each field's read is inline (`r["a"]["b"]` in a try, no getter call) and so is its common case
(a string that stays a string, a value map hit, a cast that succeeds); anything else goes to the
field's `finish` (engine.FieldPlan), so defaults, value maps, casts and problems are decided in
one place whatever path the code takes. Names from mappings (keys, paths) enter the source only
as `repr()` literals of str and int, which Python reads back as exactly those values.
"""

from __future__ import annotations

import weakref

from mappings.casts import CAST_ERRORS, to_string
from mappings.paths import EACH, LOOKUP_ERRORS, MISSING, getter


def join_parts(separator: str, *parts):
    """A join's value from its parts: empty ones left out, MISSING when none is left; parts that
    are objects or lists come back as a list, which the field's cast then refuses."""
    present = [part for part in parts if part is not MISSING and part is not None]
    if not present:
        return MISSING
    try:
        return separator.join([to_string(part) for part in present])
    except CAST_ERRORS:
        return present


# Each cast's conversions of text already seen: source systems repeat their values (quantities,
# prices, dates, item numbers), and a dictionary hit costs a tenth of a decimal's normalisation.
# Casts are pure functions of the text, so an entry never goes stale; each cast keeps at most
# MEMO_SIZE entries, and a full one simply stops learning.
MEMO_SIZE = 4096
_memos: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def conversions(cast) -> dict:
    """The shared memo of `cast`'s outputs by input text (one per cast function)."""
    memo = _memos.get(cast)
    if memo is None:
        memo = _memos.setdefault(cast, {})
    return memo


class Writer:
    def __init__(self):
        self.lines: list[str] = []
        self.depth = 0
        self.names: dict[str, object] = {
            "MISSING": MISSING,
            "LOOKUP_ERRORS": LOOKUP_ERRORS,
            "CAST_ERRORS": CAST_ERRORS,
            "MEMO_SIZE": MEMO_SIZE,
        }
        self.counter = 0

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def bind(self, prefix: str, value: object) -> str:
        """A name for `value` in the function's namespace."""
        name = self.fresh(prefix)
        self.names[name] = value
        return name


def literal(step) -> str:
    if type(step) not in (str, int):
        raise TypeError(f"a path step is a str or an int, not {type(step).__name__}")
    return repr(step)


def emit_read(w: Writer, steps: tuple | None, record: str, target: str) -> None:
    """`target` = the value at `steps` in `record`, or MISSING."""
    if steps is None:
        w.line(f"{target} = MISSING")
    elif (
        EACH in steps
        and steps.count(EACH) == 1
        and steps[-2] == EACH
        and isinstance(steps[-1], str)
    ):
        # `list[*].key`, the usual fan-out: one comprehension, as the getter would answer.
        head = w.fresh("h")
        emit_read(w, steps[:-2], record, head)
        key = literal(steps[-1])
        each = w.fresh("x")
        w.line(
            f"{target} = [{each}.get({key}) if type({each}) is dict else None for {each} in {head}]"
            f" if type({head}) is list else MISSING"
        )
    elif EACH in steps:
        w.line(f"{target} = {w.bind('G', getter(steps))}({record})")
    else:
        subscripts = "".join(f"[{literal(step)}]" for step in steps)
        w.line("try:")
        w.line(f"    {target} = {record}{subscripts}")
        w.line("except LOOKUP_ERRORS:")
        w.line(f"    {target} = MISSING")


def emit_field(w: Writer, plan, record: str, index: str) -> str:
    """Code computing one field of `record` into a fresh variable; returns its name."""
    if plan.items is not None:
        return emit_list(w, plan, record)
    out = w.fresh("o")
    finish = w.bind("F", plan.finish)
    if plan.kind == "constant":
        trial: list = []
        value = plan.finish(plan.constant, trial, None)
        if not trial and not isinstance(value, (list, dict)):
            w.line(f"{out} = {w.bind('K', value)}")
        else:
            w.line(f"{out} = {finish}({w.bind('K', plan.constant)}, problems, {index})")
        return out
    value = w.fresh("v")
    if plan.kind == "join":
        parts = []
        for steps in plan.join_steps:
            part = w.fresh("j")
            emit_read(w, steps, record, part)
            parts.append(part)
        separator = w.bind("S", plan.separator)
        all_text = " and ".join(f"type({part}) is str" for part in parts)
        w.line(f"if {all_text}:")
        w.line(f"    {value} = {separator}.join(({', '.join(parts)},))")
        w.line("else:")
        w.line(f"    {value} = join_parts({separator}, {', '.join(parts)})")
        w.names["join_parts"] = join_parts
    elif plan.kind == "path":
        emit_read(w, plan.steps, record, value)
    else:
        w.line(f"{value} = MISSING")
    emit_finish(w, plan, value, out, finish, index)
    return out


def emit_finish(w: Writer, plan, value: str, out: str, finish: str, index: str) -> None:
    slow = f"{finish}({value}, problems, {index})"
    if plan.value_table is not None:
        # Keys are the map's raw strings: any other value (a number, None, MISSING, a list)
        # misses, and `finish` maps it by its JSON spelling or reports it.
        table = w.bind("T", plan.value_table)
        w.line("try:")
        w.line(f"    {out} = {table}[{value}]")
        w.line("except (KeyError, TypeError):")
        w.line(f"    {out} = {slow}")
    elif plan.cast is None:
        w.line(f"{out} = {slow} if {value} is MISSING or {value} is None else {value}")
    elif plan.fast == "text":
        w.line(f"{out} = {value} if type({value}) is str else {slow}")
    else:
        cast = w.bind("C", plan.cast)
        # The memo holds text only, so a number, None, MISSING or a list always misses.
        memo = w.bind("M", conversions(plan.cast))
        w.line("try:")
        w.line(f"    {out} = {memo}[{value}]")
        w.line("except (KeyError, TypeError):")
        w.line(f"    if {value} is MISSING or {value} is None:")
        w.line(f"        {out} = {slow}")
        w.line("    else:")
        w.line("        try:")
        w.line(f"            {out} = {cast}({value})")
        w.line(f"            if type({value}) is str and len({memo}) < MEMO_SIZE:")
        w.line(f"                {memo}[{value}] = {out}")
        w.line("        except CAST_ERRORS:")
        w.line(f"            {out} = {slow}")


def emit_list(w: Writer, plan, record: str) -> str:
    out, items, index, item = w.fresh("o"), w.fresh("v"), w.fresh("i"), w.fresh("it")
    emit_read(w, plan.steps, record, items)
    w.line(f"if type({items}) is list:")
    w.depth += 1
    w.line(f"{out} = []")
    append = w.fresh("append")
    w.line(f"{append} = {out}.append")
    w.line(f"for {index}, {item} in enumerate({items}):")
    w.depth += 1
    fields = [(child.name, emit_field(w, child, item, index)) for child in plan.items]
    w.line(f"{append}({dict_display(fields)})")
    w.depth -= 2
    w.line("else:")
    w.line(f"    {out} = {w.bind('L', plan.finish)}({items}, problems)")
    return out


def dict_display(fields: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{literal(name)}: {variable}" for name, variable in fields) + "}"


def generate(plans: list, not_an_object) -> tuple[object, str]:
    """The mapping function `(raw) -> (record, problems)` and its source."""
    w = Writer()
    w.names["not_an_object"] = not_an_object
    w.depth = 1
    w.line("if type(r) is not dict:")
    w.line("    return {}, not_an_object()")
    w.line("problems = []")
    fields = [(plan.name, emit_field(w, plan, "r", "None")) for plan in plans]
    w.line(f"return {dict_display(fields)}, problems")
    # The namespace's names become the function's defaults: locals, the fastest lookups.
    defaults = ", ".join(f"{name}={name}" for name in w.names)
    source = "\n".join([f"def mapping(r, *, {defaults}):", *w.lines]) + "\n"
    namespace = dict(w.names)
    exec(compile(source, "<mapping>", "exec"), namespace)  # noqa: S102 - source from plans only
    return namespace["mapping"], source
