"""Parse throughput and fidelity on the contracts corpus: pypdf, and pypdfium2 side by side.

    .venv/bin/python bench/parse_bench.py [--corpus DIR] [--repeat N]

Each file goes through ``parse_file`` exactly as the parse stage runs it (sandboxed child, limits,
normalisation), one file at a time, pinned to one CPU core; the time limit is lifted so that each
engine's own speed is measured (no pdfium fallback). Prints pages/s and MB/s per engine, the
pdfium/pypdf ratio, mean/min word-sequence similarity against the corpus' reference texts, and the
bare engines in-process (no child, no normalisation) to show what the sandbox costs.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docintel.settings")

import django  # noqa: E402

django.setup()

import pypdfium2  # noqa: E402
from django.conf import settings  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from docintel.parsing import parse_file  # noqa: E402
from docintel.parsing.fidelity import word_similarity  # noqa: E402

ENGINES = ("pypdf", "pdfium")


def bare_pypdf(pdf: Path) -> int:
    pages = PdfReader(pdf).pages
    for page in pages:
        page.extract_text()
    return len(pages)


def bare_pdfium(pdf: Path) -> int:
    document = pypdfium2.PdfDocument(pdf)
    for page in document:
        page.get_textpage().get_text_bounded()
    return len(document)


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (the sandboxed parses): robust to a busy host."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(work, repeat: int):
    """``work()``'s result, with the best wall-clock and CPU seconds over ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), cpu_seconds()
        result = work()
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu_seconds() - cpu)
    return result, min(walls), min(cpus)


def run_bare(name: str, extract, pdfs: list[Path], repeat: int) -> dict:
    pages, wall, cpu = timed(lambda: sum(extract(pdf) for pdf in pdfs), repeat)
    return summary(name, pdfs, pages, wall, cpu, [])


def run(engine: str, pdfs: list[Path], references: Path, repeat: int) -> dict:
    settings.PDF_ENGINE = engine
    settings.PARSE_TIMEOUT_S = 600
    parsed, wall, cpu = timed(lambda: [parse_file(pdf, "application/pdf") for pdf in pdfs], repeat)
    similarities = [
        word_similarity(result.text, (references / f"{pdf.stem}.txt").read_text(encoding="utf-8"))
        for pdf, result in zip(pdfs, parsed, strict=True) if (references / f"{pdf.stem}.txt").exists()]
    return summary(engine, pdfs, sum(p.pages for p in parsed), wall, cpu, similarities)


def summary(name: str, pdfs: list[Path], pages: int, wall: float, cpu: float,
            similarities: list[float]) -> dict:
    megabytes = sum(pdf.stat().st_size for pdf in pdfs) / 1e6
    return {"engine": name, "files": len(pdfs), "pages": pages, "wall": wall, "cpu": cpu,
            "pages_per_s": pages / wall, "mb_per_s": megabytes / wall,
            "pages_per_cpu_s": pages / cpu, "mb_per_cpu_s": megabytes / cpu,
            "fidelity_mean": statistics.mean(similarities) if similarities else float("nan"),
            "fidelity_min": min(similarities) if similarities else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "contracts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine; the fastest is reported")
    options = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core; forked children inherit it
    pdfs = sorted((options.corpus / "pdf").glob("*.pdf"))
    results = [run(engine, pdfs, options.corpus / "txt", options.repeat) for engine in ENGINES]
    bare = [run_bare("bare pypdf", bare_pypdf, pdfs, options.repeat),
            run_bare("bare pdfium", bare_pdfium, pdfs, options.repeat)]
    print("| engine | files | pages | wall s | CPU s | pages/s | MB/s | pages/CPU-s | MB/CPU-s "
          "| fidelity mean | fidelity min |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results + bare:
        print(f"| {r['engine']} | {r['files']} | {r['pages']} | {r['wall']:.2f} | {r['cpu']:.2f} "
              f"| {r['pages_per_s']:.1f} | {r['mb_per_s']:.2f} | {r['pages_per_cpu_s']:.1f} "
              f"| {r['mb_per_cpu_s']:.2f} | {r['fidelity_mean']:.4f} | {r['fidelity_min']:.4f} |")
    pypdf, pdfium = results
    print(f"\npdfium / pypdf throughput: {pdfium['pages_per_s'] / pypdf['pages_per_s']:.1f}x wall-clock, "
          f"{pdfium['pages_per_cpu_s'] / pypdf['pages_per_cpu_s']:.1f}x CPU time")


if __name__ == "__main__":
    main()
