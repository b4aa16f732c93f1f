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

from docintel.documents.parsing import parse_file  # noqa: E402
from docintel.documents.parsing.fidelity import word_similarity  # noqa: E402

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


def run_bare(name: str, extract, pdfs: list[Path], repeat: int) -> dict:
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        pages = sum(extract(pdf) for pdf in pdfs)
        seconds.append(time.perf_counter() - started)
    return summary(name, pdfs, pages, min(seconds), [])


def summary(name: str, pdfs: list[Path], pages: int, seconds: float, similarities: list[float]) -> dict:
    megabytes = sum(pdf.stat().st_size for pdf in pdfs) / 1e6
    return {"engine": name, "files": len(pdfs), "pages": pages, "seconds": seconds,
            "pages_per_s": pages / seconds, "mb_per_s": megabytes / seconds,
            "fidelity_mean": statistics.mean(similarities) if similarities else float("nan"),
            "fidelity_min": min(similarities) if similarities else float("nan")}


def run(engine: str, pdfs: list[Path], references: Path, repeat: int) -> dict:
    settings.PDF_ENGINE = engine
    settings.PARSE_TIMEOUT_S = 600
    seconds, pages, similarities = [], 0, []
    for _ in range(repeat):
        started = time.perf_counter()
        parsed = [parse_file(pdf, "application/pdf") for pdf in pdfs]
        seconds.append(time.perf_counter() - started)
    pages = sum(p.pages for p in parsed)
    for pdf, result in zip(pdfs, parsed, strict=True):
        reference = references / f"{pdf.stem}.txt"
        if reference.exists():
            similarities.append(word_similarity(result.text, reference.read_text(encoding="utf-8")))
    return summary(engine, pdfs, pages, min(seconds), similarities)  # the least disturbed run


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
    print("| engine | files | pages | seconds | pages/s | MB/s | fidelity mean | fidelity min |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results + bare:
        print(f"| {r['engine']} | {r['files']} | {r['pages']} | {r['seconds']:.2f} | {r['pages_per_s']:.1f} "
              f"| {r['mb_per_s']:.2f} | {r['fidelity_mean']:.4f} | {r['fidelity_min']:.4f} |")
    print(f"\npdfium / pypdf throughput ratio: {results[1]['pages_per_s'] / results[0]['pages_per_s']:.1f}x")


if __name__ == "__main__":
    main()
