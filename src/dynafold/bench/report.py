"""The benchmark report: the paper's table (Markdown, CSV), results.json, plots, index.html.

Table rows are metrics, columns generators. RMSF statistics come from
:func:`dynafold.metrics.correlation.correlation_summary` over the per-target
RMSF profiles; precision, recall and diversity lDDT are means over targets.
Bold marks the best value of a row: lowest for RMSE, highest for the others.
Diversity has no best value (more diverse is not better; compare it with the
md-split column, which estimates the reference's own diversity), so it is
never bold. A generator that failed on some target is scored on the targets
it completed; the failures are listed in the report.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import os
from pathlib import Path

import numpy as np

from dynafold.io.atomic import atomic_path

# (key, label, better): better is "high", "low" or None (never bold)
ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("global_rmsf_r", "Global RMSF r", "high"),
    ("per_target_rmsf_r", "Per-target RMSF r", "high"),
    ("global_rmsf_rho", "Global RMSF rho", "high"),
    ("per_target_rmsf_rho", "Per-target RMSF rho", "high"),
    ("global_rmsf_rmse_A", "Global RMSF RMSE (A)", "low"),
    ("per_target_rmsf_rmse_A", "Per-target RMSF RMSE (A)", "low"),
    ("precision_lddt", "Precision lDDT", "high"),
    ("recall_lddt", "Recall lDDT", "high"),
    ("diversity_lddt", "Diversity lDDT", None),
)


def summarise(records: dict[str, dict]) -> dict[str, float]:
    """Table values of one generator from its per-target records ``{target: record}``."""
    from dynafold.metrics.correlation import correlation_summary

    done = [r["metrics"] for r in records.values() if "metrics" in r]
    if not done:
        return {key: math.nan for key, _, _ in ROWS}
    corr = correlation_summary([np.asarray(m["rmsf"]["pred_A"]) for m in done],
                               [np.asarray(m["rmsf"]["ref_A"]) for m in done])
    values = {
        "global_rmsf_r": corr["global"]["pearson"],
        "per_target_rmsf_r": corr["per_target"]["pearson"]["mean"],
        "global_rmsf_rho": corr["global"]["spearman"],
        "per_target_rmsf_rho": corr["per_target"]["spearman"]["mean"],
        "global_rmsf_rmse_A": corr["global"]["rmse"],
        "per_target_rmsf_rmse_A": corr["per_target"]["rmse"]["mean"],
    }
    for name in ("precision", "recall", "diversity"):
        values[f"{name}_lddt"] = float(np.mean([m["lddt"][name] for m in done]))
    return {k: float(v) for k, v in values.items()}


def best_columns(table: dict[str, dict[str, float]]) -> dict[str, set[str]]:
    """For each row key, the generator labels holding its best value (ties all bold)."""
    best: dict[str, set[str]] = {}
    for key, _, better in ROWS:
        vals = {g: v[key] for g, v in table.items() if not math.isnan(v[key])}
        if better is None or len(vals) < 2:
            best[key] = set()
            continue
        target = max(vals.values()) if better == "high" else min(vals.values())
        best[key] = {g for g, v in vals.items() if v == target}
    return best


def _fmt(v: float) -> str:
    return "n/a" if math.isnan(v) else f"{v:.3f}"


def table_markdown(table: dict[str, dict[str, float]]) -> str:
    """The table as Markdown, best values in bold."""
    labels = list(table)
    best = best_columns(table)
    lines = ["| Metric | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for key, title, _ in ROWS:
        cells = [f"**{_fmt(table[g][key])}**" if g in best[key] else _fmt(table[g][key]) for g in labels]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def table_csv(table: dict[str, dict[str, float]]) -> str:
    """The table as CSV: one row per metric (key), one column per generator."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["metric", *table])
    for key, _, _ in ROWS:
        writer.writerow([key, *(repr(table[g][key]) for g in table)])
    return buf.getvalue()


def write_report(results: dict[str, dict[str, dict]], out: str | os.PathLike, provenance: dict,
                 plots: bool = True) -> dict:
    """Write table.md, table.csv, results.json, plots/*.png and index.html to ``out``.

    ``results`` is :func:`dynafold.bench.runner.run_benchmark`'s output;
    ``provenance`` (version, seeds, settings, file hashes) goes into results.json.
    Returns the results.json content.
    """
    out = Path(out)
    table = {label: summarise(recs) for label, recs in results.items()}
    failures = [{"generator": label, "target": t, "error": r["error"]}
                for label, recs in results.items() for t, r in recs.items() if "error" in r]
    content = {
        "provenance": provenance,
        "table": table,
        "bold_rule": "highest value bold except RMSE rows (lowest); diversity never bold",
        "failures": failures,
        "per_target": {label: {t: r.get("metrics") for t, r in recs.items()} for label, recs in results.items()},
    }
    _write_text(out / "results.json", json.dumps(content, indent=1, allow_nan=True) + "\n")
    _write_text(out / "table.md", table_markdown(table))
    _write_text(out / "table.csv", table_csv(table))
    images = write_plots(results, out / "plots") if plots else {}
    _write_text(out / "index.html", index_html(table, failures, images, provenance, out))
    return content


def write_plots(results: dict[str, dict[str, dict]], folder: Path) -> dict[str, list[Path]]:
    """Figure-11-style plots: a pooled scatter per generator, then a profile per target."""
    from dynafold.plots import plot_rmsf_profile, plot_rmsf_scatter

    images: dict[str, list[Path]] = {}
    for label, recs in results.items():
        done = {t: r["metrics"] for t, r in recs.items() if "metrics" in r}
        if not done:
            continue
        safe = label.replace("/", "_").replace(":", "_")
        pred = [np.asarray(m["rmsf"]["pred_A"]) for m in done.values()]
        ref = [np.asarray(m["rmsf"]["ref_A"]) for m in done.values()]
        paths = [plot_rmsf_scatter(pred, ref, folder / f"{safe}_scatter.png", title=f"{label}: all targets",
                                   labels=list(done))]
        for target, p, r in zip(done, pred, ref):
            paths.append(plot_rmsf_profile(p, r, folder / safe / f"{target}.png", title=f"{label}: {target}"))
        images[label] = paths
    return images


def settings_rows(settings: dict) -> list[tuple[str, str]]:
    """(name, value) rows of the run settings; lists and mappings as compact JSON."""
    return [(str(k), v if isinstance(v, str) else json.dumps(v)) for k, v in settings.items()]


def figure_caption(label: str, path: Path) -> str:
    """Caption of one plot: the pooled scatter of a generator or one target's RMSF profile."""
    if path.stem.endswith("_scatter"):
        return f"{label}: predicted vs reference C-alpha RMSF (A), every residue of every target"
    return f"{label} on {path.stem}: C-alpha RMSF (A) per residue, predicted and reference"


def index_html(table: dict[str, dict[str, float]], failures: list[dict], images: dict[str, list[Path]],
               provenance: dict, out: Path) -> str:
    """A plain HTML page with the table, the settings and the plots (image paths relative to ``out``).

    Plots stand one per row at the page's width, each with a caption and a link to its full size.
    """
    labels = list(table)
    best = best_columns(table)
    esc = html.escape
    head = "".join(f"<th>{esc(g)}</th>" for g in labels)
    rows = []
    for key, title, _ in ROWS:
        cells = "".join(f"<td><b>{_fmt(table[g][key])}</b></td>" if g in best[key] else f"<td>{_fmt(table[g][key])}</td>"
                        for g in labels)
        rows.append(f"<tr><th>{esc(title)}</th>{cells}</tr>")
    settings = "".join(f"<tr><th>{esc(k)}</th><td class='text'>{esc(v)}</td></tr>"
                       for k, v in settings_rows(provenance.get("settings", {})))
    parts = [
        "<!DOCTYPE html>", "<html><head><meta charset='utf-8'><title>dynafold benchmark</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:4px 8px;text-align:right}td.text,#settings th{text-align:left}"
        "td.text{font-family:monospace;overflow-wrap:anywhere}"
        "figure{margin:1.5em 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}"
        "figcaption{font-size:0.95em;color:#333;margin-top:4px}</style>",
        "</head><body>", "<h1>dynafold benchmark</h1>",
        f"<p>dynafold {esc(str(provenance.get('dynafold_version', '')))}; "
        f"{len(provenance.get('targets', {}))} targets.</p>",
        f"<table id='results'><tr><th>Metric</th>{head}</tr>{''.join(rows)}</table>",
        "<p>Bold: best value (lowest RMSE, highest otherwise); diversity is never bold.</p>",
    ]
    if settings:
        parts.append(f"<h2>Settings</h2><table id='settings'>{settings}</table>")
    if failures:
        parts.append("<h2>Failures</h2><ul>" + "".join(
            f"<li>{esc(f['generator'])} / {esc(f['target'])}: {esc(f['error'])}</li>" for f in failures) + "</ul>")
    for label, paths in images.items():
        parts.append(f"<h2>{esc(label)}</h2>")
        for p in paths:
            src, caption = esc(p.relative_to(out).as_posix()), esc(figure_caption(label, p))
            parts.append(f"<figure><a href='{src}'><img src='{src}' alt='{caption}'></a>"
                         f"<figcaption>{caption} (click for full size)</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
