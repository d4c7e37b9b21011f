"""The report's content as a list of blocks, rendered to Markdown or to self-contained HTML.

Blocks: ("h1"|"h2"|"h3"|"p"|"quote"|"banner", text), ("ul", [items]),
("table", header, rows), ("img", filename, alt).  Text is plain; renderers escape it.
"""
from __future__ import annotations

import base64
import html
from pathlib import Path

from repro.report.figures import COLOURS

CSS = """body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .55em;text-align:left}th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}blockquote{border-left:4px solid #bbb;margin:.5em 0;
padding:.2em 1em;color:#444;font-style:italic}.banner{background:#fff3cd;border:2px solid #e0a800;padding:.8em 1em;
font-weight:600;margin:1em 0}img{max-width:100%}h2{border-bottom:1px solid #ddd;padding-bottom:.2em}
.verdict{font-weight:700;padding:0 .3em;border-radius:3px;color:#fff}"""


def _md_cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks: list[tuple]) -> str:
    """Render blocks as Markdown (images referenced by file name, next to report.md)."""
    out = []
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            out.append("#" * int(kind[1]) + " " + block[1])
        elif kind == "p":
            out.append(block[1])
        elif kind == "quote":
            out.append("> " + block[1])
        elif kind == "banner":
            out.append("> **" + block[1] + "**")
        elif kind == "ul":
            out.append("\n".join("- " + item for item in block[1]))
        elif kind == "table":
            header, rows = block[1], block[2]
            lines = ["| " + " | ".join(map(_md_cell, header)) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in rows]
            out.append("\n".join(lines))
        elif kind == "img":
            out.append(f"![{block[2]}]({block[1]})")
        out.append("")
    return "\n".join(out)


def _td(cell) -> str:
    text = str(cell)
    if text in COLOURS:
        return f'<td><span class="verdict" style="background:{COLOURS[text]}">{html.escape(text)}</span></td>'
    numeric = text[:1] in "+-0123456789" and text[1:2] not in ("", " ")
    return f'<td class="num">{html.escape(text)}</td>' if numeric else f"<td>{html.escape(text)}</td>"


def to_html(blocks: list[tuple], directory: Path, title: str) -> str:
    """Render blocks as one HTML page: CSS inline, images embedded as base64 PNG data URIs."""
    body = []
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            body.append(f"<{kind}>{html.escape(block[1])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{html.escape(block[1])}</p>")
        elif kind == "quote":
            body.append(f"<blockquote>{html.escape(block[1])}</blockquote>")
        elif kind == "banner":
            body.append(f'<div class="banner">{html.escape(block[1])}</div>')
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            head = "".join(f"<th>{html.escape(str(h))}</th>" for h in block[1])
            rows = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in block[2])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif kind == "img":
            data = base64.b64encode((directory / block[1]).read_bytes()).decode("ascii")
            body.append(f'<p><img alt="{html.escape(block[2])}" src="data:image/png;base64,{data}"></p>')
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
