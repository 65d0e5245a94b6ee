"""Draws target/loadbench/results.png from results.json (run by run.py in its venv).

Usage: python plot.py results.json results.png
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"rendition": "#c0392b", "rendition-turbojpeg": "#8e44ad",
          "rendition-pyramid": "#e67e22", "sharp": "#2980b9", "thumbor": "#27ae60"}


def main(src, dst):
    rep = json.load(open(src))
    res = rep["results"]
    servers = list(dict.fromkeys(r["server"] for r in res))
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    (a_rps, a_p99), (a_other, a_rss) = axes

    for s in servers:
        cold = sorted((r for r in res if r["server"] == s and r["scenario"] == "cold"),
                      key=lambda r: r["concurrency"])
        xs = [r["concurrency"] for r in cold]
        a_rps.plot(xs, [r["rps"] for r in cold], "o-", color=COLORS.get(s), label=s)
        a_p99.plot(xs, [r["p99_ms"] for r in cold], "o-", color=COLORS.get(s), label=f"{s} p99")
        a_p99.plot(xs, [r["p50_ms"] for r in cold], "o--", color=COLORS.get(s), alpha=0.5,
                   label=f"{s} p50")
    for a, title, ylabel in ((a_rps, "cold renders, 2560x1600 photos: throughput", "requests/s"),
                             (a_p99, "cold renders: latency (solid p99, dashed p50)", "ms")):
        a.set_title(title)
        a.set_xlabel("concurrency (closed-loop clients)")
        a.set_ylabel(ylabel)
        a.set_xticks(sorted({r["concurrency"] for r in res if r["scenario"] == "cold"}))
        a.set_ylim(bottom=0)
        a.grid(alpha=0.3)
        a.legend(fontsize=8)

    scen = [sc for sc in dict.fromkeys(r["scenario"] for r in res) if sc != "cold"]
    width = 0.8 / max(1, len(servers))
    for i, s in enumerate(servers):
        vals = [next((r["rps"] for r in res if r["server"] == s and r["scenario"] == sc), 0) for sc in scen]
        xs = [j + i * width for j in range(len(scen))]
        bars = a_other.bar(xs, vals, width, color=COLORS.get(s), label=s)
        a_other.bar_label(bars, fmt="%.0f", fontsize=7)
    a_other.set_xticks([j + width * (len(servers) - 1) / 2 for j in range(len(scen))])
    a_other.set_xticklabels([f"{sc}\nc={next(r['concurrency'] for r in res if r['scenario'] == sc)}"
                             for sc in scen], fontsize=8)
    a_other.set_yscale("log")
    a_other.set_ylabel("requests/s (log)")
    a_other.set_title("other scenarios: throughput")
    a_other.legend(fontsize=8)
    a_other.grid(alpha=0.3, axis="y")

    allscen = list(dict.fromkeys((r["scenario"], r["concurrency"]) for r in res))
    for i, s in enumerate(servers):
        vals = [next((r["peak_rss_mb"] for r in res if r["server"] == s
                      and (r["scenario"], r["concurrency"]) == k), 0) for k in allscen]
        xs = [j + i * width for j in range(len(allscen))]
        a_rss.bar(xs, vals, width, color=COLORS.get(s), label=s)
    a_rss.set_xticks([j + width * (len(servers) - 1) / 2 for j in range(len(allscen))])
    a_rss.set_xticklabels([f"{sc.split(' (')[0]}\nc={c}" for sc, c in allscen], fontsize=7)
    a_rss.set_ylabel("MB")
    a_rss.set_title("peak RSS of the server's processes")
    a_rss.legend(fontsize=8)
    a_rss.grid(alpha=0.3, axis="y")

    m = rep["machine"]
    fig.suptitle(f"Rendition vs sharp vs thumbor: fit to 512 px wide, JPEG q80 — "
                 f"{m['nproc']} CPUs, {m['cpu']}, load before {rep['load_before'][0]:.1f}",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
