"""Plain-text and markdown tables for the evaluation reports."""

from __future__ import annotations

from collections.abc import Sequence


def fmt(value: float | None, digits: int = 3) -> str:
    """Format a number for a table; n/a when undefined."""
    return "n/a" if value is None else f"{value:.{digits}f}"


def pct(share: float | None) -> str:
    """A share as a percentage with one decimal ("3.4%"), or "—" when there is none."""
    return "—" if share is None else f"{100 * share:.1f}%"


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [cells[0].ljust(widths[0])]
        parts += [cell.rjust(widths[i]) for i, cell in enumerate(cells) if i > 0]
        return "  ".join(parts)

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table."""
    align = ["---"] + ["---:"] * (len(header) - 1)
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in lines)
