"""Check a training export before it goes to a GPU: every line is a chat with a system, a user and an
assistant turn, and every answer is valid JSON for the schema.

    python deploy/finetune/check_dataset.py contract.jsonl --schema-file contract.schema.json
    python deploy/finetune/check_dataset.py contract.jsonl --schema contract   # inside a docintel checkout
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROLES = ["system", "user", "assistant"]


def problems(path: Path, schema: dict) -> list[str]:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    found = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            try:
                messages = json.loads(line)["messages"]
                roles = [m["role"] for m in messages]
                answer = json.loads(messages[-1]["content"])
            except (ValueError, KeyError, TypeError, IndexError):
                found.append(f"line {number}: not a chat record with a JSON answer")
                continue
            if roles != ROLES:
                found.append(f"line {number}: roles {roles}, expected {ROLES}")
            errors = sorted(e.json_path for e in validator.iter_errors(answer))
            if errors:
                found.append(f"line {number}: answer breaks the schema at {', '.join(errors[:3])}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--schema", help="a built-in docintel schema name")
    group.add_argument("--schema-file", type=Path, help="a JSON Schema file")
    args = parser.parse_args()
    if args.schema_file:
        schema = json.loads(args.schema_file.read_text(encoding="utf-8"))
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        from extraction.builtin_schemas import BUILTIN_SCHEMAS

        schema = BUILTIN_SCHEMAS[args.schema]
    found = problems(args.dataset, schema)
    for line in found:
        print(line)
    lines = sum(1 for _ in args.dataset.open(encoding="utf-8"))
    print(f"{lines} examples, {len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
