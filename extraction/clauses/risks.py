"""Risk flags a lawyer expects from a clause review, each with the evidence behind it.

A flag is raised from the review's findings, never from free text: ``uncapped_liability`` (an uncapped
liability clause, or no cap on liability at all), ``auto_renewal`` (renews by itself; the notice window
to stop it when stated), ``exclusivity``, ``non_compete``, ``change_of_control``, ``anti_assignment``
and ``most_favoured_nation``.
"""

from __future__ import annotations

FLAGS = {
    "exclusivity": ("Exclusivity", "exclusive dealing commitment"),
    "non_compete": ("Non-Compete", "restriction on competing"),
    "change_of_control": ("Change Of Control", "change of control allows termination or needs consent"),
    "anti_assignment": ("Anti-Assignment", "assignment needs consent or notice"),
    "most_favoured_nation": ("Most Favored Nation", "most-favoured-nation terms"),
}


def _flag(flag: str, categories: list[str], reason: str, clauses: dict, confidence: float) -> dict:
    evidence = [span for name in categories for span in clauses[name]["evidence"]]
    return {"flag": flag, "reason": reason, "categories": categories, "evidence": evidence,
            "confidence": round(confidence, 3)}


def risk_flags(clauses: dict[str, dict]) -> list[dict]:
    """The flags raised by ``clauses`` (the review's ``as_dict()``), in a fixed order."""
    flags = []
    uncapped, cap = clauses["Uncapped Liability"], clauses["Cap On Liability"]
    if uncapped["present"]:
        flags.append(_flag("uncapped_liability", ["Uncapped Liability"], "liability is uncapped for some "
                           "breaches", clauses, uncapped["confidence"]))
    elif cap["present"] is False:
        flags.append(_flag("uncapped_liability", [], "no cap on liability found", clauses, cap["confidence"]))
    renewal, notice = clauses["Renewal Term"], clauses["Notice Period To Terminate Renewal"]
    if renewal["present"]:
        window = notice["value"] if notice["present"] else None
        reason = "renews automatically" + (f"; notice to stop it: {window}" if window else "")
        names = ["Renewal Term"] + (["Notice Period To Terminate Renewal"] if notice["present"] else [])
        renews = _flag("auto_renewal", names, reason, clauses, renewal["confidence"])
        renews["renewal_term"], renews["notice_period"] = renewal["value"], window
        flags.append(renews)
    for flag, (name, reason) in FLAGS.items():
        if clauses[name]["present"]:
            flags.append(_flag(flag, [name], reason, clauses, clauses[name]["confidence"]))
    return flags
