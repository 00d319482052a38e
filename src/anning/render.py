"""Human-readable rendering of a verdict for the terminal (Chinese by default, English on request).

Presentation only: everything shown comes from the verdict dict and the knowledge pack's labels.
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.text import Text

from anning.knowledge import Knowledge

RISK_STYLE = {"none": "green", "low": "green", "medium": "yellow", "high": "red", "critical": "bold red"}
ENTITY_KEYS = ("platforms", "persons", "amounts", "dates", "deadlines", "relative_times", "days_overdue",
               "contract_numbers", "urls", "phones", "accounts")
MAX_LAWS_PER_BEHAVIOUR = 3


def highlighted(text: str, spans: list[tuple[int, int]]) -> Text:
    out = Text(text)
    for start, end in spans:
        if 0 <= start < end <= len(text):
            out.stylize("bold black on yellow", start, end)
    return out


_PERSONAL_RULE = re.compile(r"^personal rule (?P<rule>\S+)(?: \(overrides (?P<kind>[a-z_]+)\))?$")
_DECIDED = {"rules": "decided_rules", "model": "decided_model", "rules (model overruled)": "decided_rules_overruled",
            "personal model": "decided_personal_model"}


def decided_by_text(decided_by: str, k: Knowledge, lang: str) -> str:
    """The verdict's ``decided_by`` (English, part of the JSON contract) in the reader's language."""
    if decided_by in _DECIDED:
        return k.ui[_DECIDED[decided_by]][lang]
    m = _PERSONAL_RULE.match(decided_by)
    if m is None:
        return decided_by
    text = k.ui["decided_personal_rule"][lang].format(rule=m["rule"])
    if m["kind"]:
        kind = k.kind_labels.get(m["kind"], {}).get(lang, m["kind"])
        text += k.ui["decided_overrides"][lang].format(kind=kind)
    return text


PASTE_EXCERPT = 40  # characters of each pasted message shown in the list


def render_paste(v: dict[str, Any], k: Knowledge, console: Console) -> None:
    """A paste of several messages (``anning.paste.paste_to_dict``): one line per message, then the one
    that most needs attention in full."""
    lang = v["lang"]
    sep = "：" if lang == "zh" else ": "
    text = v["message"]["text"]
    console.print(Text(k.ui["paste_summary"][lang].format(n=len(v["messages"])), style="bold"))
    for i, m in enumerate(v["messages"], 1):
        one = m["verdict"]
        line = Text(f"  {i}. ", style="bold")
        if m["sender"] or m["received_at"]:
            when = m["received_at"][:16].replace("T", " ") if m["received_at"] else None
            line.append(" ".join(x for x in (m["sender"], when) if x) + "  ", style="dim")
        line.append(one["kind_label"], style="bold cyan")
        line.append(f"  {k.ui['confidence'][lang]}{sep}{one['confidence']:.2f}  ")
        line.append(f"{k.ui['risk'][lang]}{sep}")
        line.append(f"{one['risk']}/100", style=RISK_STYLE.get(one["risk_level"], ""))
        excerpt = " ".join(text[m["start"]:m["end"]].split())
        if len(excerpt) > PASTE_EXCERPT:
            excerpt = excerpt[:PASTE_EXCERPT] + "…"
        line.append(f"  「{excerpt}」", style="dim")
        console.print(line)
    console.print(Text(k.ui["paste_detail"][lang].format(i=v["chosen_message"] + 1) + "\n", style="bold"))
    render_verdict(v, k, console)


def render_verdict(v: dict[str, Any], k: Knowledge, console: Console) -> None:
    lang = v["lang"]

    def ui(key: str) -> str:
        return k.ui[key][lang]

    sep = "：" if lang == "zh" else ": "
    head = Text()
    head.append(f"{ui('kind')}{sep}", style="bold")
    head.append(v["kind_label"], style="bold cyan")
    head.append(f"  ({v['kind']})  ")
    head.append(f"{ui('confidence')}{sep}{v['confidence']:.2f}  ")
    head.append(f"{ui('risk')}{sep}", style="bold")
    head.append(f"{v['risk']}/100 {v['risk_label']}", style=RISK_STYLE.get(v["risk_level"], ""))
    console.print(head)

    if v.get("decided_by") and v["decided_by"] != "rules":
        console.print(Text(f"{ui('decided_by')}{sep}{decided_by_text(v['decided_by'], k, lang)}",
                           style="bold magenta"))
    flags = [k.flag_labels[f][lang] + f" ({f})" for f in v["flags"]]
    console.print(Text(f"{ui('flags')}{sep}", style="bold") + Text(" · ".join(flags) or ui("no_flags")))

    spans = [tuple(s) for sig in v["signals"] for s in sig["spans"] if sig["flags"] or sig["weight"] > 0]
    console.print(Text(f"\n{ui('message')}{sep}", style="bold"))
    console.print(highlighted(v["message"]["text"], spans))

    if v["signals"]:
        console.print(Text(f"\n{ui('reasons')}{sep}", style="bold"))
        for sig in v["signals"]:
            if not sig.get("visible", True):
                continue
            line = Text("  • ")
            line.append(sig["label"])
            line.append(f"  [{sig['rule']}]", style="dim")
            if sig["evidence"]:
                line.append("  「")
                line.append(sig["evidence"], style="bold black on yellow")
                line.append("」")
            extras = [f"{k.flag_labels[f][lang]}" for f in sig["flags"]]
            if sig["weight"]:
                extras.append(f"{'+' if sig['weight'] > 0 else ''}{sig['weight']:g}")
            if extras:
                line.append("  (" + ", ".join(extras) + ")", style="dim")
            console.print(line)

    _render_entities(v, k, console, lang, ui, sep)

    if v["violations"]:
        console.print(Text(f"\n{ui('violations')}{sep}", style="bold"))
        shown = 0
        for _behaviour, laws in by_behaviour(v["violations"]):
            console.print(Text("  • ") + Text(laws[0]["why"], style="bold"))
            for x in laws[:MAX_LAWS_PER_BEHAVIOUR]:
                line = Text(f"    - {x['basis']}")
                line.append(f"  〔{x['binding_label']}〕", style="magenta")
                line.append(f"  {x['source']}", style="dim")
                console.print(line)
                shown += 1
        hidden = len(v["violations"]) - shown
        if hidden > 0:
            console.print(Text("  " + ui("more_laws").format(n=hidden), style="dim"))

    sc = v["scenario"]
    console.print(Text(f"\n{ui('scenario')}{sep}", style="bold") + Text(sc["title"], style="bold cyan"))
    console.print(f"  {sc['summary']}")
    if sc["alternatives"]:
        console.print(Text(f"  {ui('alternatives')}{sep}", style="bold"))
        for alt in sc["alternatives"]:
            console.print(f"    - {alt}")

    console.print(Text(f"\n{ui('actions')}{sep}", style="bold"))
    for i, a in enumerate(v["actions"], 1):
        console.print(Text(f"  {i}. ", style="bold") + Text(a["title"], style="bold"))
        console.print(f"     {a['detail']}")
        if a["channels"]:
            chans = "、".join(f"{c['name']}" + (f" {c['number']}" if c["number"] else "") for c in a["channels"])
            console.print(Text(f"     {ui('channels')}{sep}{chans}", style="cyan"))
        if a["guide"]:
            console.print(Text(f"     {ui('guide')}{sep}anning guide {a['guide']}", style="dim"))
    console.print(Text(f"\n{ui('disclaimer')}  engine {v['engine_version']} · knowledge {v['knowledge_version']}",
                       style="dim"))


def _render_entities(v, k, console, lang, ui, sep) -> None:
    rows = entity_rows(v, k, lang)
    if rows:
        console.print(Text(f"\n{ui('entities')}{sep}", style="bold"))
        for label, value in rows:
            console.print(f"  {label}{sep}{value}")
    s = v["entities"].get("sender")
    if s:
        console.print(Text(f"\n{ui('sender')}{sep}", style="bold") + Text(f"{s['raw']} — {s['label']}"
                      + (f"（{s['carrier']}）" if s.get("carrier") else "")))
        console.print(Text(f"  {s['proves']}", style="dim"))


def _amount_value(amount: dict[str, Any], k: Knowledge, lang: str) -> str:
    """" (= 8920.55 港元)": the amount read as a number, in its currency when the message says which."""
    currency = amount.get("currency")
    if not currency:
        return f" (= {amount['value']:g})"
    name = k.ui.get("currency_" + currency, {}).get(lang, currency)
    return f" (= {amount['value']:g} {name})" if lang == "zh" else f" (= {name} {amount['value']:g})"


def entity_rows(v: dict[str, Any], k: Knowledge, lang: str) -> list[tuple[str, str]]:
    """(label, value) rows of what was found, worded as the terminal shows them."""
    e = v["entities"]
    sep = "；" if lang == "zh" else "; "
    rows: list[tuple[str, str]] = []
    for key in ENTITY_KEYS:
        items = e.get(key) or []
        if not items:
            continue
        shown = []
        for it in items:
            s = it["text"]
            if key == "amounts" and it.get("value") is not None:
                s += _amount_value(it, k, lang)
            elif key == "days_overdue" and it.get("days") is not None:
                s += f" ({it['days']})"
            elif key in ("phones", "accounts") and it.get("type"):
                s += f" [{it['type']}]"
            elif key == "urls" and it.get("domain"):
                s += f" [{it['domain']}]"
            shown.append(s)
        rows.append((k.ui["ent_" + key][lang], sep.join(shown)))
    if e.get("verification_code_request"):
        rows.append((k.ui["ent_verification_code_request"][lang], k.ui["yes"][lang]))
    return rows


def by_behaviour(violations: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for x in violations:
        groups.setdefault(x["behaviour"], []).append(x)
    return list(groups.items())
