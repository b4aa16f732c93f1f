"""OCR engines side by side on the same scanned pages: fidelity, speed per core, peak memory; PHI recall
of redaction on OCR text against the original text; redacted-PDF rendering time per page.

    .venv/bin/python bench/ocr_bench.py [--split heldout] [--contracts 6] [--notes 8] [--profile P ...]
                                        [--baseline DIR] [--rapidocr-python PATH] [--out FILE.json]

Pages are made by ``fixtures/scans/generate.py`` (seeded) from documents whose text we know: CUAD
contracts (the page's text layer is the reference) and the synthetic clinical notes (the note is the
reference; its gold PHI spans give redaction recall), in the generator's profiles: clean, standard-mode
fax (200 x 100 dpi), skewed, rotated and fine-mode fax (204 x 196 dpi). ``--split heldout`` (the
default) uses the contracts and notes the preprocessing was NOT tuned on (tuning used the ``tune`` split).

Engines, each in its own worker process (one page at a time, one thread: ``OMP_THREAD_LIMIT=1``), fed
the same pages in alternating order (A B, then B A) so that a drifting shared machine favours neither:
- ``docintel``: the product's path (``docintel.parsing.scanned.ocr_pages``: the PDF's own page picture,
  preprocessing, Tesseract through tesserocr);
- ``docintel-baseline`` (with ``--baseline DIR``): the same path from another checkout of docintel
  (``git archive main | tar -x -C DIR``), to measure a change before and after on the same pages;
- ``tesseract``: bare Tesseract (the ``tesseract`` command, default settings) on the page rendered
  at 300 dpi by pdfium, as a pipeline without preprocessing would feed it;
- ``rapidocr`` (optional, ``--rapidocr-python`` names a Python with rapidocr-onnxruntime installed:
  it is not a docintel dependency): its bundled PP-OCR models, lines sorted top to bottom.
Speed is CPU seconds per page of the worker and its children (robust to other load); peak memory is
the worker's (or its children's) maximum resident set.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docintel.settings")
os.environ["OMP_THREAD_LIMIT"] = "1"

RAPIDOCR_WORKER = r"""
import json, resource, sys, time
import numpy as np, pypdfium2
from rapidocr_onnxruntime import RapidOCR
engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
for line in sys.stdin:
    job = json.loads(line)
    start = resource.getrusage(resource.RUSAGE_SELF)
    image = pypdfium2.PdfDocument(job["pdf"])[0].render(scale=300 / 72).to_pil().convert("RGB")
    found, _ = engine(np.asarray(image))
    found = sorted(found or [], key=lambda item: (round(item[0][0][1] / 25), item[0][0][0]))
    end = resource.getrusage(resource.RUSAGE_SELF)
    cpu = end.ru_utime + end.ru_stime - start.ru_utime - start.ru_stime
    text = "\n".join(item[1] for item in found)
    print(json.dumps({"text": text, "cpu": cpu, "rss_mb": end.ru_maxrss / 1024}), flush=True)
"""


def cpu_now(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def worker(engine: str, code: Path | None = None) -> None:
    """Read jobs (one JSON line each) from stdin, answer with the text and CPU seconds per page;
    ``code``: import docintel from that checkout instead of this one."""
    if code is not None:
        sys.path.insert(0, str(code.resolve()))
    import django

    django.setup()
    import pypdfium2

    from docintel.parsing.media_types import PDF
    from docintel.parsing.scanned import ocr_pages

    folder = Path(tempfile.mkdtemp(prefix="ocr-bench-"))
    for line in sys.stdin:
        job = json.loads(line)
        start = cpu_now(resource.RUSAGE_SELF) + cpu_now(resource.RUSAGE_CHILDREN)
        if engine.startswith("docintel"):
            result = ocr_pages(job["pdf"], PDF, [1], ["eng"], 1, 10**8, 100)
            text = result["pages"]["1"]["text"]
        else:
            image = folder / "page.png"
            pypdfium2.PdfDocument(job["pdf"])[0].render(scale=300 / 72, grayscale=True).to_pil().save(image)
            text = subprocess.run(["tesseract", str(image), "stdout", "-l", "eng"], capture_output=True,
                                  text=True, check=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"}).stdout
        cpu = cpu_now(resource.RUSAGE_SELF) + cpu_now(resource.RUSAGE_CHILDREN) - start
        rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        print(json.dumps({"text": text, "cpu": cpu, "rss_mb": rss}), flush=True)


class Engine:
    def __init__(self, name: str, command: list[str]) -> None:
        self.name = name
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        env={**os.environ, "OMP_THREAD_LIMIT": "1", "OMP_NUM_THREADS": "1"})

    def read(self, pdf: Path) -> dict:
        self.process.stdin.write(json.dumps({"pdf": str(pdf)}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


# A page's seed follows its profile's place here: new profiles go at the end, so earlier pages stay the same.
PROFILES = ("clean", "fax", "skewed", "rotated", "fax_fine")
FAX_PROFILES = ("fax", "fax_fine")


def make_scans(split: str, contracts: int, notes: int, folder: Path, chosen: tuple[str, ...]) -> list[dict]:
    sys.path.insert(0, str(ROOT / "fixtures" / "scans"))
    import generate

    pages = []
    for source, limit in (("contracts", contracts), ("notes", notes)):
        for scan in generate.scans(source, split, PROFILES, limit=limit, pages=1):
            if scan.profile not in chosen:
                continue
            generate.write(scan, folder)
            note = None
            if source == "notes":
                note = next(n for n in generate.note_texts(split) if scan.name.startswith(n["id"] + "-"))
            pages.append({"name": scan.name, "source": source, "profile": scan.profile,
                          "pdf": folder / f"{scan.name}.pdf", "reference": scan.references[0], "note": note})
    return pages


def char_recall(text: str, gold: list[tuple[int, int]], predicted: list[tuple[int, int]]) -> tuple[int, int]:
    """(gold non-space characters covered by a prediction, gold non-space characters)."""
    covered = [False] * len(text)
    for start, end in predicted:
        for index in range(start, min(end, len(text))):
            covered[index] = True
    hit = total = 0
    for start, end in gold:
        for index in range(start, min(end, len(text))):
            if not text[index].isspace():
                total += 1
                hit += covered[index]
    return hit, total


def gold_on_ocr_text(original: str, ocr: str, spans: list[dict]) -> list[tuple[int, int]]:
    """The gold spans of ``original`` carried onto the OCR text by a character alignment."""
    from rapidfuzz.distance import Levenshtein

    mapping: list[int | None] = [None] * len(original)
    for opcode in Levenshtein.opcodes(original, ocr):
        tag, a0, a1 = opcode.tag, opcode.src_start, opcode.src_end
        b0, b1 = opcode.dest_start, opcode.dest_end
        if tag == "equal" or (tag == "replace" and a1 - a0 == b1 - b0):
            for offset in range(a1 - a0):
                mapping[a0 + offset] = b0 + offset
        elif tag == "replace":
            for offset in range(a1 - a0):
                mapping[a0 + offset] = b0 + offset * (b1 - b0) // (a1 - a0)
    carried = []
    for span in spans:
        positions = [mapping[i] for i in range(span["start"], span["end"]) if mapping[i] is not None]
        if positions:
            carried.append((min(positions), max(positions) + 1))
    return carried


def phi_recall(pages: list[dict], texts: dict, engine: str = "docintel") -> dict:
    from docintel.redaction.text import redact_many

    result = {}
    for profile in ("clean", *FAX_PROFILES):
        chosen = [page for page in pages if page["note"] and page["profile"] == profile]
        if not chosen:
            continue
        originals = [page["note"]["text"] for page in chosen]
        ocrs = [texts[(page["name"], engine)] for page in chosen]
        on_original = redact_many(originals)
        on_ocr = redact_many(ocrs)
        sums = {"original": [0, 0], "ocr": [0, 0]}
        rows = zip(chosen, originals, ocrs, on_original, on_ocr, strict=True)
        for page, original, ocr, red_original, red_ocr in rows:
            gold = [(span["start"], span["end"]) for span in page["note"]["spans"]]
            hit, total = char_recall(original, gold, [(e.start, e.end) for e in red_original.entities])
            sums["original"][0] += hit
            sums["original"][1] += total
            carried = gold_on_ocr_text(original, ocr, page["note"]["spans"])
            hit, total = char_recall(ocr, carried, [(e.start, e.end) for e in red_ocr.entities])
            sums["ocr"][0] += hit
            sums["ocr"][1] += total
        result[profile] = {name: round(hit / total, 4) if total else None
                           for name, (hit, total) in sums.items()}
        result[profile]["notes"] = len(chosen)
    return result


def rendering_time(pages: list[dict], split: str) -> dict:
    """Seconds per page of the redacted PDF (sandboxed rendering, boxes, assembly) for scans and text PDFs."""
    from docintel.parsing import read_document
    from docintel.parsing.media_types import PDF
    from docintel.redaction.pdf import render_page_pdf
    from docintel.redaction.text import redact_text

    sys.path.insert(0, str(ROOT / "fixtures" / "scans"))
    import generate

    cases = {"scanned notes (OCR word boxes)": [page["pdf"] for page in pages
                                                if page["note"] and page["profile"] == "clean"][:4],
             "text PDFs (character boxes)": generate.contract_split(split)[:3]}
    result = {}
    for label, paths in cases.items():
        seconds = count = 0.0
        for path in paths:
            parsed = read_document(path, PDF)
            entities = redact_text(parsed.text).entity_dicts()
            started = time.perf_counter()
            render_page_pdf(path, PDF, parsed.text, parsed.page_offsets, parsed.layout, entities,
                            title="bench")
            seconds += time.perf_counter() - started
            count += parsed.pages
        result[label] = {"pages": int(count),
                         "seconds_per_page": round(seconds / count, 3) if count else None}
    return result


def summarise(pages: list[dict], results: dict, engines: list[str]) -> dict:
    from docintel.parsing.fidelity import word_similarity

    table = {}
    for source in ("contracts", "notes"):
        for profile in PROFILES:
            chosen = [page for page in pages if page["source"] == source and page["profile"] == profile]
            if not chosen:
                continue
            row = {}
            for engine in engines:
                runs = [results[(page["name"], engine)] for page in chosen]
                scores = [word_similarity(run["text"], page["reference"])
                          for run, page in zip(runs, chosen, strict=True)]
                cpu = statistics.mean(run["cpu"] for run in runs)
                row[engine] = {"fidelity_mean": round(statistics.mean(scores), 4),
                               "fidelity_min": round(min(scores), 4), "cpu_s_per_page": round(cpu, 2),
                               "pages_per_s_per_core": round(1 / cpu, 3) if cpu else None,
                               "peak_rss_mb": round(max(run["rss_mb"] for run in runs))}
            table[f"{source}/{profile}"] = {"pages": len(chosen), **row}
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", choices=("docintel", "docintel-baseline", "tesseract"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--code", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", type=Path,
                        help="another checkout of docintel, run side by side as docintel-baseline")
    parser.add_argument("--split", choices=("tune", "heldout"), default="heldout")
    parser.add_argument("--contracts", type=int, default=6)
    parser.add_argument("--notes", type=int, default=8)
    parser.add_argument("--profile", action="append", choices=PROFILES,
                        help="only these profiles (repeat; default all)")
    parser.add_argument("--rapidocr-python", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.code)
        return
    import django

    django.setup()
    started = time.time()
    folder = Path(tempfile.mkdtemp(prefix="ocr-bench-scans-"))
    pages = make_scans(args.split, args.contracts, args.notes, folder, tuple(args.profile or PROFILES))
    me = [sys.executable, str(Path(__file__).resolve())]
    engines = [Engine(name, [*me, "--worker", name]) for name in ("docintel", "tesseract")]
    if args.baseline:
        engines.insert(1, Engine("docintel-baseline",
                                 [*me, "--worker", "docintel-baseline", "--code", str(args.baseline)]))
    if args.rapidocr_python:
        engines.append(Engine("rapidocr", [str(args.rapidocr_python), "-c", RAPIDOCR_WORKER]))
    results = {}
    for index, page in enumerate(pages):
        order = engines if index % 2 == 0 else list(reversed(engines))
        for engine in order:
            results[(page["name"], engine.name)] = engine.read(page["pdf"])
        print(f"{index + 1}/{len(pages)} {page['name']}", file=sys.stderr, flush=True)
    for engine in engines:
        engine.close()
    names = [engine.name for engine in engines]
    texts = {key: value["text"] for key, value in results.items()}
    report = {
        "split": args.split, "pages": len(pages), "load_average_at_start": os.getloadavg(),
        "baseline": str(args.baseline) if args.baseline else None,
        "engines": summarise(pages, results, names),
        "phi_recall": {name: phi_recall(pages, texts, name) for name in names if name.startswith("docintel")},
        "redacted_pdf": rendering_time(pages, args.split),
        "load_average_at_end": os.getloadavg(), "seconds": round(time.time() - started),
    }
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
