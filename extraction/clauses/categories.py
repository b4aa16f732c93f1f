"""CUAD's 41 clause categories (names as CUAD's ``master_clauses.csv`` spells them), what each one is,
how its value is normalised, which contract-schema key it fills and which risk it raises.

Two kinds of cues per category, both case-insensitive regular expressions:
``keywords`` are what a reviewer would type into a search box (the baseline every method is compared
with); ``rules`` are the stock phrasings of the clause, precise enough to propose a candidate on their
own. The trained classifier reads both as features.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Category:
    name: str
    question: str
    kind: str = "yes_no"  # yes_no | date | duration | law | parties | name | cap
    schema_key: str | None = None  # the contract schema's clause key it fills
    risk: str | None = None  # the risk flag it raises when present
    keywords: str = ""
    rules: str = ""
    metadata: bool = False  # reviewed by the metadata extractors (name, parties, dates, law)
    # Phrasings that share the clause's words but say the opposite ("a non-exclusive licence", "may not
    # be made on an exclusive basis"): a sentence whose only match is one of these ranks lower as
    # evidence (``look_alike``); presence is not changed.
    look_alikes: str = ""
    # A category that CUAD's definitions tie to another: it cannot be present without it ("Notice Period
    # To Terminate Renewal" is the notice that stops a renewal, so it needs a "Renewal Term").
    requires: str | None = None
    keyword_re: re.Pattern = field(init=False, repr=False, compare=False)
    rule_re: re.Pattern = field(init=False, repr=False, compare=False)
    look_alike_re: re.Pattern | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "keyword_re", re.compile(self.keywords or r"(?!x)x", re.IGNORECASE))
        object.__setattr__(self, "rule_re", re.compile(self.rules or r"(?!x)x", re.IGNORECASE))
        object.__setattr__(self, "look_alike_re",
                           re.compile(self.look_alikes, re.IGNORECASE) if self.look_alikes else None)

    def look_alike(self, sentence: str) -> bool:
        """The sentence matches the category's words only inside phrasings that say the opposite."""
        if self.look_alike_re is None or not self.look_alike_re.search(sentence):
            return False
        rest = self.look_alike_re.sub(" ", sentence)
        return not (self.keyword_re.search(rest) or self.rule_re.search(rest))


_C = Category
CATEGORIES: list[Category] = [
    _C("Document Name", "What is the name of the contract?", "name", metadata=True,
       keywords=r"\bagreement\b"),
    _C("Parties", "Who are the parties that signed the contract?", "parties", metadata=True,
       keywords=r"\bby and between\b|\bbetween\b"),
    _C("Agreement Date", "What is the date of the contract?", "date", metadata=True,
       keywords=r"\bdated\b|\bmade\b.{0,40}\bday of\b|\bentered into\b"),
    _C("Effective Date", "On what date does the contract take effect?", "date", metadata=True,
       keywords=r"\beffective date\b|\beffective as of\b"),
    _C("Expiration Date", "On what date does the initial term expire?", "date", metadata=True,
       keywords=r"\bexpir\w*|\binitial term\b",
       rules=r"\b(?:initial\s+)?term\b[^.]{0,200}\b(?:expir\w*|continu\w*|remain\s+in\s+(?:full\s+)?"
             r"(?:force|effect)|until|end\w*)\b"),
    _C("Renewal Term", "What is the renewal term after the initial term expires?", "duration",
       schema_key="renewal_term", risk="auto_renewal",
       keywords=r"\brenew\w*",
       rules=r"\b(?:automatically|auto-?)\s+(?:be\s+)?(?:renew|extend)\w*|\brenew\w*\s+for\s+(?:an?\s+)?"
             r"(?:additional|successive|further|subsequent|consecutive)|\b(?:successive|additional|renewal)"
             r"\s+(?:\w+\s+){0,3}(?:terms?|periods?|years?)\b[^.]{0,80}\b(?:unless|renew)"),
    _C("Notice Period To Terminate Renewal", "How much notice is needed to stop the contract renewing?",
       "duration", schema_key="notice_period_to_terminate_renewal", risk="auto_renewal",
       requires="Renewal Term",
       keywords=r"\bnon-?renewal\b|\bnot\s+to\s+renew\b|\bnotice\b[^.]{0,80}\brenew",
       rules=r"\b(?:written\s+)?notice\b[^.]{0,120}\b(?:non-?renewal|not\s+to\s+renew|(?:intent|intention|"
             r"election|desire)\s+not\s+to\s+(?:renew|extend))|\b(?:unless|until)\b[^.]{0,80}\bnotice\b"
             r"[^.]{0,120}\b(?:prior\s+to|before)\b[^.]{0,60}\b(?:expir|end|renewal)"),
    _C("Governing Law", "Which state's or country's law governs the contract?", "law", metadata=True,
       keywords=r"\bgoverning\s+law\b|\bgoverned\s+by\b|\blaws?\s+of\b",
       rules=r"\b(?:governed\s+by|construed\s+(?:and\s+\w+\s+)?in\s+accordance\s+with|subject\s+to)\b"
             r"[^.]{0,80}\blaws?\b"),
    _C("Most Favored Nation", "Does a party get terms at least as good as any third party gets?",
       risk="most_favoured_nation",
       keywords=r"\bmost\s+favou?red\b|\bno\s+less\s+favou?rable\b|\bbetter\s+terms\b",
       rules=r"\bmost\s+favou?red\s+(?:nation|customer|licensee)|\b(?:no\s+less|at\s+least\s+as)\s+"
             r"favou?rable\b[^.]{0,100}\b(?:than|as)\b[^.]{0,60}\b(?:any|other)\b|\bsame\s+(?:or\s+better\s+)?"
             r"terms\b[^.]{0,60}\bthird\s+part"),
    _C("Competitive Restriction Exception", "Are there exceptions to non-compete, exclusivity or "
       "no-solicit restrictions?",
       keywords=r"\bnotwithstanding\b[^.]{0,120}\b(?:compet|exclusiv|solicit)",
       rules=r"\b(?:nothing\s+(?:in\s+this|herein)|notwithstanding|except|provided\s+(?:however|that))\b"
             r"[^.]{0,160}\b(?:compet\w*|exclusiv\w*|solicit\w*)"),
    _C("Non-Compete", "Is a party restricted from competing with the other or from a market?",
       schema_key="non_compete", risk="non_compete",
       keywords=r"\bnon-?compet\w*|\bcompet\w*",
       rules=r"\bnon-?compet\w*|\b(?:shall|will|may)\s+not\b[^.]{0,120}\b(?:compet\w*|engage\s+in|"
             r"(?:develop|market|sell|distribute|manufacture)\w*\b[^.]{0,80}\bcompet\w*)|\bcompeting\s+"
             r"products?\b"),
    _C("Exclusivity", "Is there an exclusive dealing commitment with the other party?",
       schema_key="exclusivity", risk="exclusivity",
       keywords=r"(?<![-\w])exclusiv\w*",
       rules=r"(?<![-\w])exclusive\s+(?:right|licen[cs]e|distribut\w+|basis|supplier|provider|manufacturer|"
             r"reseller|agent|partner|sponsor)|\bexclusively\b|\bsole\s+(?:and\s+exclusive\s+)?"
             r"(?:source|supplier|provider|distributor)\b|\ball\s+of\s+(?:its|their)\s+requirements\b|"
             r"\bshall\s+not\b[^.]{0,100}\b(?:grant|appoint|license|sell|purchase)\b[^.]{0,80}\bthird\s+part",
       look_alikes=r"\bnon-?\s?exclusiv\w*|\b(?:is|are|be|being)\s+not\s+exclusive\b|"
                   r"\bnot\s+(?:be\s+)?(?:made\s+)?on\s+an?\s+exclusive\s+basis\b|\bnothing\b[^.;]{0,60}?\bexclusiv\w*|"
                   r"\b(?:does|do|shall|will)\s+not\s+(?:grant|give|confer|create|imply)\w*\b[^.;]{0,40}?"
                   r"\bexclusiv\w*"),
    _C("No-Solicit Of Customers", "Is a party restricted from soliciting the other's customers?",
       keywords=r"\bsolicit\w*[^.]{0,80}\bcustomers?\b",
       rules=r"\b(?:not|no)\b[^.]{0,80}\bsolicit\w*[^.]{0,80}\b(?:customers?|clients?|accounts)\b"),
    _C("No-Solicit Of Employees", "Is a party restricted from soliciting or hiring the other's "
       "employees?",
       keywords=r"\bsolicit\w*[^.]{0,80}\bemployees?\b|\bhire\b[^.]{0,80}\bemployees?\b",
       rules=r"\b(?:not|no)\b[^.]{0,80}\b(?:solicit|hire|employ|recruit)\w*[^.]{0,100}\b(?:employees?|"
             r"personnel|staff)\b"),
    _C("Non-Disparagement", "Must a party not disparage the other?",
       keywords=r"\bdisparag\w*",
       rules=r"\b(?:disparag\w*|derogatory|negative\s+(?:statements?|comments?))\b"),
    _C("Termination For Convenience", "Can a party end the contract without cause, by notice?",
       schema_key="termination_for_convenience",
       keywords=r"\bterminat\w+[^.]{0,80}\b(?:for\s+convenience|without\s+cause|for\s+any\s+reason)",
       rules=r"\bterminat\w+\b[^.]{0,120}\b(?:for\s+(?:its\s+)?convenience|without\s+cause|for\s+any\s+"
             r"(?:or\s+no\s+)?reason|at\s+any\s+time\b[^.]{0,80}\b(?:upon|by|with)\b[^.]{0,40}\bnotice|"
             r"upon\s+(?:\w+\s+){0,3}(?:\(\d+\)\s+)?(?:days?|months?)['\u2019]?\s+(?:prior\s+)?(?:written\s+)?"
             r"notice)|\bat\s+any\s+time\b[^.]{0,60}\bterminat\w+"),
    _C("Rofr/Rofo/Rofn", "Does a party have a right of first refusal, offer or negotiation?",
       keywords=r"\bright\s+of\s+first\b|\bfirst\s+refusal\b",
       rules=r"\bright\s+of\s+first\s+(?:refusal|offer|negotiation)|\bfirst\s+(?:right|option)\s+to\b|"
             r"\b(?:first|prior)\s+opportunity\s+to\b"),
    _C("Change Of Control", "Does a change of control of a party allow termination or need consent or "
       "notice?", risk="change_of_control",
       keywords=r"\bchange\s+(?:of|in)\s+control\b",
       rules=r"\bchange\s+(?:of|in)\s+(?:control|ownership)\b|\b(?:merger|consolidation|acquisition)\b"
             r"[^.]{0,160}\b(?:terminat\w*|consent|assign\w*)|\ball\s+or\s+substantially\s+all\s+of\s+"
             r"(?:its|the)\s+(?:assets|business)|\bby\s+operation\s+of\s+law\b"),
    _C("Anti-Assignment", "Is consent or notice needed to assign the contract?",
       schema_key="assignment", risk="anti_assignment",
       keywords=r"\bassign\w*",
       rules=r"\b(?:shall|may)\s+not\b[^.]{0,60}\b(?:assign|transfer)\w*|\bassign\w*[^.]{0,160}\bwithout\b"
             r"[^.]{0,80}\bconsent|\bno(?:\s+\w+){0,2}\s+(?:may|shall)\s+(?:be\s+)?assign|\bnon-?assignable\b"),
    _C("Revenue/Profit Sharing", "Must a party share revenue or profit with the other?",
       keywords=r"\broyalt\w*|\brevenue\s+shar\w*|\bprofit\w*|\bpercent\w*\s+of\b",
       rules=r"\broyalt(?:y|ies)\b[^.]{0,120}\b(?:percent|%|of\s+(?:net|gross))|\b(?:percent|%)\s*(?:\)\s*)?"
             r"of\s+(?:all\s+)?(?:the\s+)?(?:net|gross)\s+(?:sales|revenues?|receipts|profits?)|"
             r"\b(?:revenue|profit)s?\s+(?:shar\w*|split)"),
    _C("Price Restrictions", "Is a party restricted from raising or lowering prices?",
       keywords=r"\bprice\s+(?:increase|change|adjust)\w*",
       rules=r"\b(?:shall\s+not|may\s+not|no)\b[^.]{0,60}\b(?:increase|raise|change|adjust)\w*\b[^.]{0,40}"
             r"\bprices?\b|\bprices?\b[^.]{0,60}\b(?:fixed|firm|shall\s+not\s+(?:increase|change))"),
    _C("Minimum Commitment", "Is there a minimum order, amount or number of units to buy?",
       keywords=r"\bminimum\b",
       rules=r"\bminimum\s+(?:annual\s+|purchase\s+|order\s+)?(?:purchase|order|quantit|volume|commitment|"
             r"amount|sales|royalt|guarantee|fee)\w*|\bat\s+least\b[^.]{0,60}\b(?:units|orders?|purchase)"),
    _C("Volume Restriction", "Is there a fee increase or consent need when use exceeds a threshold?",
       keywords=r"\bexceed\w*\b[^.]{0,60}\b(?:volume|units|usage|number)",
       rules=r"\b(?:exceed\w*|in\s+excess\s+of|more\s+than|over)\b[^.]{0,80}\b(?:forecast|volume|units|"
             r"usage|capacity|users|quantit\w*)|\b(?:maximum|cap)\b[^.]{0,40}\b(?:quantit\w*|volume|units)"),
    _C("Ip Ownership Assignment", "Does IP created by one party become the other's property?",
       keywords=r"\bhereby\s+assigns?\b|\bsole\s+(?:and\s+exclusive\s+)?property\b|\bwork\s+made\s+for\s+hire",
       rules=r"\b(?:hereby\s+)?(?:assigns?|transfers?|conveys?)\b[^.]{0,80}\b(?:all\s+)?(?:right,?\s+title|"
             r"intellectual\s+property|ownership)|\bshall\s+(?:be|become|remain)\s+the\s+(?:sole\s+(?:and\s+"
             r"exclusive\s+)?)?(?:property|owner)|\bwork\s+made\s+for\s+hire\b|\bshall\s+own\b"),
    _C("Joint Ip Ownership", "Do the parties own any IP jointly?",
       keywords=r"\bjointly\s+own\w*|\bjoint\s+owner\w*",
       rules=r"\bjoint(?:ly)?\s+(?:own\w*|property)|\bco-?own\w*|\bowned\s+jointly\b|\bjoint\s+"
             r"(?:intellectual\s+property|inventions?|ip)\b"),
    _C("License Grant", "Does one party grant the other a licence?",
       keywords=r"\blicen[cs]e\b",
       rules=r"\b(?:hereby\s+)?grants?\b[^.]{0,100}\b(?:licen[cs]e|right\s+to\s+use|sublicen[cs]e)|"
             r"\blicen[cs]e\s+(?:is\s+)?granted\b"),
    _C("Non-Transferable License", "Is the licence limited from being transferred?",
       keywords=r"\bnon-?transferable\b|\bnon-?assignable\b",
       rules=r"\bnon-?(?:transferable|assignable|sublicensable)\b|\blicen[cs]e\b[^.]{0,120}\b(?:may|shall)"
             r"\s+not\s+(?:be\s+)?(?:transfer|assign|sublicens)\w*"),
    _C("Affiliate License-Licensor", "Does the licence include IP of the licensor's affiliates?",
       keywords=r"\baffiliates?\b[^.]{0,80}\blicen[cs]",
       rules=r"\b(?:licensor|its)\s+(?:and\s+its\s+)?affiliates?\b[^.]{0,80}\bgrants?\b"),
    _C("Affiliate License-Licensee", "Does the licence extend to the licensee's affiliates?",
       keywords=r"\blicen[cs]ee\b[^.]{0,40}\baffiliates?\b",
       rules=r"\b(?:licensee|distributor|customer|company)\s+and\s+its\s+affiliates\b[^.]{0,120}\b"
             r"licen[cs]e|\blicen[cs]e\b[^.]{0,120}\b(?:to|for)\s+(?:\w+\s+)?and\s+its\s+affiliates\b"),
    _C("Unlimited/All-You-Can-Eat-License", "Is there an unlimited-use or enterprise licence?",
       keywords=r"\bunlimited\b|\benterprise\s+licen",
       rules=r"\bunlimited\s+(?:number|use|usage|copies|users|right)|\benterprise[- ]wide\b|\ball\s+you\s+"
             r"can\s+eat\b"),
    _C("Irrevocable Or Perpetual License", "Is a licence irrevocable or perpetual?",
       keywords=r"\birrevocabl\w*|\bperpetu\w*",
       rules=r"\b(?:irrevocable|perpetual|fully\s+paid)\b[^.]{0,100}\blicen[cs]e|\blicen[cs]e\b[^.]{0,60}"
             r"\b(?:irrevocable|perpetual)"),
    _C("Source Code Escrow", "Must a party deposit source code in escrow?",
       keywords=r"\bescrow\b",
       rules=r"\bsource\s+code\b[^.]{0,120}\bescrow|\bescrow\b[^.]{0,120}\bsource\s+code"),
    _C("Post-Termination Services", "Is a party bound to obligations after the contract ends?",
       keywords=r"\b(?:after|following|upon)\s+(?:the\s+)?(?:termination|expiration)\b",
       rules=r"\b(?:after|following|upon|survive)\b[^.]{0,40}\b(?:termination|expiration)\b[^.]{0,160}\b"
             r"(?:shall|will|may)\b[^.]{0,60}\b(?:continue|return|sell|deliver|provide|pay|transition|"
             r"wind|purchase|complete|fulfil)"),
    _C("Audit Rights", "Can a party audit the other's books, records or premises?",
       keywords=r"\baudit\w*|\binspect\w*",
       rules=r"\b(?:right\s+to\s+)?(?:audit|inspect|examine)\w*\b[^.]{0,120}\b(?:books|records|accounts|"
             r"premises|facilit\w*)|\b(?:books|records)\b[^.]{0,120}\b(?:audit|inspect)\w*"),
    _C("Uncapped Liability", "Is a party's liability uncapped for a breach?", risk="uncapped_liability",
       keywords=r"\bunlimited\s+liabilit\w*|\bshall\s+not\s+apply\b[^.]{0,100}\bliabilit",
       rules=r"\b(?:limitation|exclusion)s?\s+(?:of|on)\s+liabilit\w*[^.]{0,120}\b(?:shall\s+not|does\s+not|"
             r"will\s+not)\s+apply|\bexcept\s+(?:for|with\s+respect\s+to)\b[^.]{0,200}\b(?:indemnif|"
             r"confidential|gross\s+negligence|willful|wilful)\w*[^.]{0,200}\bliab|\bunlimited\s+liabilit"),
    _C("Cap On Liability", "Is a party's liability capped (an amount or a time to bring claims)?",
       "cap", schema_key="liability_cap",
       keywords=r"\blimitation\s+of\s+liabilit\w*|\bin\s+no\s+event\b[^.]{0,120}\bliab",
       rules=r"\b(?:in\s+no\s+event|under\s+no\s+circumstances)\b[^.]{0,200}\b(?:liab\w*|responsible)|"
             r"\bliabilit\w*[^.]{0,120}\b(?:shall\s+not\s+exceed|limited\s+to|in\s+excess\s+of|exceed)|"
             r"\b(?:aggregate|total|maximum|cumulative)\s+liabilit|\b(?:action|claim)s?\b[^.]{0,80}\b(?:more|"
             r"later)\s+than\b[^.]{0,40}\b(?:years?|months?)\b[^.]{0,40}\b(?:after|following)"),
    _C("Liquidated Damages", "Are there liquidated damages or a termination fee?",
       keywords=r"\bliquidated\s+damages\b|\btermination\s+fee\b",
       rules=r"\bliquidated\s+damages\b|\b(?:termination|break-?up|cancellation)\s+(?:fee|charge|payment)\b"),
    _C("Warranty Duration", "How long do warranties against defects last?", "duration",
       keywords=r"\bwarrant\w*[^.]{0,100}\b(?:months?|years?|days?)\b",
       rules=r"\bwarrant\w*\b[^.]{0,160}\b(?:for\s+a\s+period\s+of|period\s+of|for)\s+(?:\w+\s+)?(?:\(\d+\)"
             r"\s+)?(?:days?|months?|years?)\b|\bwarranty\s+period\b"),
    _C("Insurance", "Must a party keep insurance for the other's benefit?",
       keywords=r"\binsurance\b|\binsured\b",
       rules=r"\b(?:maintain|carry|obtain|procure|keep)\b[^.]{0,80}\binsurance\b|\binsurance\b[^.]{0,120}"
             r"\b(?:coverage|policy|policies|limits?|additional\s+insured|in\s+the\s+amount)\b"),
    _C("Covenant Not To Sue", "Is a party barred from contesting the other's IP or suing it?",
       keywords=r"\bnot\s+(?:to\s+)?(?:sue|contest|challenge)\b|\bcovenant\s+not\s+to\s+sue\b",
       rules=r"\b(?:shall|will)\s+not\b[^.]{0,80}\b(?:contest|challenge|dispute|attack|oppose)\w*\b[^.]{0,120}"
             r"\b(?:validity|ownership|rights?|title|trademarks?|patents?)|\bcovenants?\s+not\s+to\s+sue\b"),
    _C("Third Party Beneficiary", "Can a non-party enforce rights under the contract?",
       keywords=r"\bthird[- ]party\s+beneficiar\w*",
       rules=r"\bthird[- ]party\s+beneficiar\w*|\bintended\s+beneficiar\w*"),
]

BY_NAME = {category.name: category for category in CATEGORIES}
# The contract schema's clause keys with a CUAD category; the other two (payment terms,
# confidentiality) have none and stay with the deterministic extractors.
SCHEMA_KEYS = {category.schema_key: category.name for category in CATEGORIES if category.schema_key}
RISKS = ("uncapped_liability", "auto_renewal", "exclusivity", "non_compete", "change_of_control",
         "anti_assignment", "most_favoured_nation")
assert len(CATEGORIES) == 41
assert all(c.requires is None or c.requires in {d.name for d in CATEGORIES} for c in CATEGORIES)
