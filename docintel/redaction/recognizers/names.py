"""Names of patients, relatives and clinicians: after titles, labels, credentials, kinship words and
verbs of care; ALL CAPS and "LAST, FIRST" forms; lower-case dictation; and spaCy's PERSON entities.

Every candidate is cut into name tokens and tokens that are ordinary words ("Patient", "MD", "Thank")
are dropped, so a label or credential never becomes part of a name.
"""

from __future__ import annotations

import regex

from .base import Recognizer
from .listed_names import TOKEN as LISTED_TOKEN
from .listed_names import classify


def words(block: str) -> frozenset[str]:
    return frozenset(block.split())


# One name token: Smith, O'Brien, McDonald, Smith-Jones, SMITH, plus particles inside (van der Berg).
# Letters are Unicode classes: Zoë, Åkesson, Øyvind are names too.
TOKEN = (
    r"(?:\p{Lu}\p{Ll}*\p{Lu}?\p{Ll}+(?:[-'\u2019]\p{Lu}?\p{Ll}+)*|\p{Lu}['\u2019]\p{Lu}\p{Ll}+|"
    r"\p{Lu}['\u2019]?\p{Lu}{2,}(?:[-'\u2019]\p{Lu}{2,})*)(?!\p{L})"
)
PARTICLE = r"(?:van|von|der|den|de|la|le|del|della|da|di|du|ten|ter|bin|ibn|al)"
INITIAL = r"[A-Z]\.?"
SEQUENCE = rf"(?:{INITIAL}[ \t]+)?{TOKEN}(?:[ \t]+(?:{INITIAL}[ \t]+|{PARTICLE}[ \t]+){{0,2}}{TOKEN}){{0,2}}"
LAST_FIRST = rf"{TOKEN}(?:[ \t]+{TOKEN})?,[ \t]*{TOKEN}(?:[ \t]+{INITIAL}(?![\w]))?"
NAME = rf"(?:{LAST_FIRST}|{SEQUENCE})"

CREDENTIALS = (
    "MD|M\\.D\\.|DO|RN|NP|PA-C|PA|PharmD|MT\\(ASCP\\)|CCDS|PhD|DDS|LCSW|LPN|APRN|FNP|CNM|CRNA|MSW|"
    "MBBS|FRCP|MRCP|DPM|RD|CNA|DNP|MPH|FACP|FACC|BSN|MSN|RPh|CMA|EMT|PT|OT"
)
RELATIONS = (
    "wife|husband|spouse|partner|daughter|son|mother|mom|father|dad|sister|brother|aunt|uncle|niece|"
    "nephew|cousin|grandson|granddaughter|great-granddaughter|great-grandson|grandmother|grandfather|"
    "son-in-law|daughter-in-law|stepson|stepdaughter|fiance|fiancee|friend|neighbou?r|caregiver|"
    "guardian|roommate|girlfriend|boyfriend|sibling|grandchild|granddaughter|carer|POA|HCP|HCPOA|"
    "proxy|interpreter"
)
LABELS = (
    "patient(?:[ \t]+name)?|pt(?:[ \t]+name)?|name|re|resident|guarantor|attending|ordering|provider|"
    "surgeon|assistant|anesthesiologist|anaesthetist|referring|pcp|gp|physician|author|signed|verified"
    "[ \t]+by|"
    "pharmacist|triage[ \t]+rn|rn|nurse|poa|emergency[ \t]+contact|contact|next[ \t]+of[ \t]+kin|nok|"
    "from|to|consultant|dictated[ \t]+by|transcribed[ \t]+by|reviewed[ \t]+by|interpreted[ \t]+by|"
    "performed[ \t]+by|attn|mother|father|spouse|insured|subscriber|member|client|resident[ \t]+name|"
    "caregiver|witness|radiologist|pathologist|therapist|social[ \t]+worker|case[ \t]+manager|"
    "sending[ \t]+rn|receiving[ \t]+rn|care[ \t]+coordinator"
)
VERBS = (
    "seen[ \t]+by|seen[ \t]+with|spoke[ \t]+(?:with|to)|met[ \t]+with(?:[ \t]+pt)?|discussed[ \t]+with"
    "|"
    "accompanied[ \t]+by|referred[ \t]+by|dictated[ \t]+by|signed[ \t]+by|reviewed[ \t]+by|interpreted"
    "[ \t]+by|"
    "performed[ \t]+by|verified[ \t]+by|transcribed[ \t]+by|examined[ \t]+by|evaluated[ \t]+by|"
    "covering[ \t]+for|on[ \t]+behalf[ \t]+of|care[ \t]+of|dear|thanks?|regards|sincerely|"
    "discussed[ \t]+with[ \t]+dr|cosigned[ \t]+by|electronically[ \t]+signed[ \t]+by|called|paged|"
    "interrogated[ \t]+by|consulted|my[ \t]+name[ \t]+is|name[ \t]+is|named|known[ \t]+as|goes[ \t]+by"
)

# Capitalised words that are not names in clinical text (compared lower-cased).
NOT_NAMES = words("""
driver route freq dose sending pharm
md do rn np pa pa-c pharmd mt ascp ccds phd dds lcsw lpn aprn fnp cnm crna msw mbbs frcp mrcp dpm rd cna dnp
mph facp facc bsn msn rph cma emt pt ot dr mr mrs ms miss prof sr jr ii iii iv patient name date dob mrn sex
age male female admission discharge history plan assessment impression thank thanks dear re the he she his
her they their we our you your it this that there these those hospital clinic medical center centre
department internal medicine cardiology surgery nursing emergency health general community valley north
south east west st saint mercy riverside lakeside foundation trust nhs care unit ward room bed floor report
note summary letter consult consultation progress triage ed er icu signed verified electronically attending
ordering provider surgeon assistant referring pcp gp physician consultant nurse pharmacist resident
guarantor contact from to cc attn subject phone fax tel email mobile cell address street city state zip
account acct member policy group id no number insurance medicare medicaid aetna blue cross shield united
unitedhealthcare cigna humana kaiser bcbs ppo hmo daughter son wife husband spouse partner mother father
sister brother friend neighbor neighbour caregiver poa hcp kin next of and or but with without for at in on
by as is was are be been yes not none dictated dictating transcribed reviewed interpreted performed seen
spoke met discussed called today yesterday tomorrow morning evening night am pm daily bid tid qid prn po im
sc qhs monday tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december jan feb mar apr jun jul aug sep sept oct nov dec mg mcg ml kg cm
mmhg bpm units tab tabs cap caps diagnosis diagnoses medications medication allergies allergy procedure
procedures vitals labs lab follow up code status dnr dni full ekg ecg ct mri xr cxr us echo bmp cbc cmp tsh
inr ptt bnp hba1c a1c ldl hdl copd chf cad ckd dm htn afib uti mvc mi cva tia dvt pe gerd osa bph aki esrd
hiv hcv blood pressure pulse temperature weight height bmi spo2 ra yours sincerely kind regards best warm
warmly many page test result flag ref range value sodium potassium creatinine glucose hemoglobin portal
message sent hi hello team device serial model leads battery remote monitoring transmitter medtronic boston
scientific abbott ns lr nacl d5w accession collected specimen visit telehealth video link identity encounter
statement services questions paid card ending international registration bank local passport german french
social work operative implants ebl fluids dispo pacu sect laboratory results pleasant gentleman lady woman
man rr hr plt wbc hgb hct arrival na cr temp bun alt ast alk billing biometric enrollment fingerprint hpi
ros pmh psh fh sh meds exam ap soap current include
""")

LOWER_STOP = NOT_NAMES | words("""
a an the and or but if then than so to of in on at by for with from into onto over under about after before
is are was were be been being has have had do does did will would can could should may might must shall who
whom whose which what when where why how that this these those there here his her him he she it its they
them their we us our you your i me my mine pt patient today now also again still not no yes very seen see
saw said says say states stated reports reported denies denied complains c/o came come went go home house
back up down out off well good fine ok okay ill sick pain cough fever one two three four five six seven
eight nine ten first second third last next new old
""")


def name_tokens(text: str, start: int, end: int, *, lower: bool = False):
    """Yield (start, end) of each token in text[start:end] that can be part of a name."""
    stop = LOWER_STOP if lower else NOT_NAMES
    for match in regex.finditer(r"\p{L}[\p{L}'\u2019-]*\p{L}|\p{Lu}\.?", text[start:end]):
        word = match.group().rstrip(".")
        if word.lower() in stop or (lower and len(word) < 3):
            continue
        yield start + match.start(), start + match.end()


class NameRecognizer(Recognizer):
    """Base for pattern-found names: each match's ``phi`` group is cut into name tokens."""

    entity = "NAME"
    flags = 0
    lower = False

    def spans(self, text):
        for pattern, base in self.compiled:
            for match in pattern.finditer(text):
                start, end = match.span("phi")
                for token_start, token_end in name_tokens(text, start, end, lower=self.lower):
                    yield token_start, token_end, base


class TitledNameRecognizer(NameRecognizer):
    """Dr. Smith, Mrs O'Brien, Dr N. Patel."""

    patterns = (
        (
            rf"(?<![\w])(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|Professor|Doctor|Sister|Nurse|DR|MR|MRS|MS)\.?[ \t]+"
            rf"(?P<phi>{SEQUENCE})",
            0.9,
        ),
    )


class LabelledNameRecognizer(NameRecognizer):
    """Patient Name: SMITH, JOHN / RE: Jane Doe / Attending: ... / Emergency contact: ..."""

    patterns = (
        (rf"(?<![\w])(?i:{LABELS})[ \t]*[:#\-|][ \t]*(?:(?:Dr|Mr|Mrs|Ms)\.?[ \t]+)?(?P<phi>{NAME})", 0.85),
        (rf"(?<![\w])(?i:patient|pt|resident|client|guarantor|re)[ \t]+(?P<phi>{SEQUENCE})", 0.75),
    )


class CapsLastFirstRecognizer(NameRecognizer):
    """A header line that starts with "HOLLOWAY, EDITH M." (no label), followed by more fields."""

    patterns = (
        (
            r"(?m)^[ \t]*(?P<phi>[A-Z]'?[A-Z]{2,}(?:[-'][A-Z]+)?,[ \t]*[A-Z]{2,}(?:[ \t]+[A-Z]\.?)?)"
            r"(?=[ \t]{2,}|[ \t]*$|[ \t]+(?i:MRN|DOB|age|sex))",
            0.75,
        ),
    )


class CredentialNameRecognizer(NameRecognizer):
    """Signatures and clinicians: Jane Doe, MD / NGUYEN, THANH MD / R. Castillo, PA-C."""

    patterns = ((rf"(?<![\w])(?P<phi>{NAME}),?[ \t]+(?:{CREDENTIALS})(?![\w-])", 0.85),)


class RelativeNameRecognizer(NameRecognizer):
    """Relatives and contacts: wife Mary, daughter Susan Jones, son-in-law Raymond."""

    patterns = (
        (
            rf"(?<![\w])(?i:{RELATIONS})(?:[ \t]*[,(:][ \t]*)?[ \t]+(?:(?i:is|named|called)[ \t]+)?"
            rf"(?P<phi>{SEQUENCE})",
            0.8,
        ),
    )


class CareVerbNameRecognizer(NameRecognizer):
    """People named after verbs of care and letter formulas: seen by X, spoke with X, Dear X, Regards, X."""

    patterns = (
        (
            rf"(?<![\w])(?i:{VERBS})[ \t]*[,:]?[ \t]*\n?[ \t]*(?:(?:Dr|Mr|Mrs|Ms|DR)\.?[ \t]+)?"
            rf"(?P<phi>{NAME})",
            0.8,
        ),
        (rf"(?m)^[ \t]*--+[ \t]*(?P<phi>{NAME})", 0.8),
    )


class DictationNameRecognizer(NameRecognizer):
    """Lower-case dictation: "this is dr lee dictating on john smith", "daughter ana who"."""

    lower = True
    flags = regex.IGNORECASE
    patterns = (
        (
            r"(?<![\w])(?:dr\.?|dictating[ \t]+(?:on|for|re)|end[ \t]+of[ \t]+dictation|this[ \t]+is|"
            r"(?:spoke|seen|met)[ \t]+with(?:[ \t]+(?:the[ \t]+)?(?:patient|pt))?|regarding)[ \t]+(?P<phi>"
            r"[a-z][a-z'-]+(?:[ \t]+[a-z][a-z'-]+)?)",
            0.7,
        ),
        (rf"(?<![\w])(?:{RELATIONS})[ \t]+(?P<phi>[a-z][a-z'-]+)", 0.6),
        (r"(?m)^[ \t]*-[ \t]*(?P<phi>[a-z]{3,12})[ \t]*$|[ \t]-(?P<phi>[a-z]{3,12})[ \t]*$", 0.6),
    )

    def spans(self, text):
        for start, end, score in super().spans(text):
            # Only in lower-case dictation; capitalised text is for the other recognizers.
            if text[start:end].islower() and not regex.search(r"[A-Z]", text[max(0, start - 60) : start]):
                yield start, end, score


class NerNameRecognizer(Recognizer):
    """spaCy's PERSON entities (and towns: GPE/LOC/FAC) from the shared NLP pass."""

    entity = "NAME"
    LABELS = {
        "PERSON": ("NAME", 0.7),
        "GPE": ("ADDRESS", 0.5),
        "LOC": ("ADDRESS", 0.45),
        "FAC": ("ADDRESS", 0.45),
    }
    NOT_PLACES = words("""
    us usa u.s. america united states uk england scotland wales britain germany france europe canada
    mexico india china japan nhs alabama alaska arizona arkansas california colorado connecticut
    delaware florida georgia hawaii idaho illinois indiana iowa kansas kentucky louisiana maine maryland
    massachusetts michigan minnesota mississippi missouri montana nebraska nevada ohio oklahoma oregon
    pennsylvania tennessee texas utah vermont virginia washington wisconsin wyoming ma ny ca tx fl ct ri
    vt nh nj pa oh mi wi co az or ga nc md il mn mo ia ks ky la me ms mt ne nv nm nd ok sc sd tn ut va
    wa wv wy al ak ar de hi id in
    """)

    def __init__(self) -> None:
        super().__init__()
        self.supported_entities = ["NAME", "ADDRESS"]

    def analyze(self, text, entities=None, nlp_artifacts=None):
        results = []
        for ent in getattr(nlp_artifacts, "entities", None) or []:
            if ent.label_ not in self.LABELS:
                continue
            entity, score = self.LABELS[ent.label_]
            if entity == "ADDRESS":
                place = text[ent.start_char : ent.end_char]
                if place.lower().strip(" .") not in self.NOT_PLACES and not any(c.isdigit() for c in place):
                    results.append(self.result(ent.start_char, ent.end_char, score, entity))
                continue
            for start, end in name_tokens(text, ent.start_char, ent.end_char):
                token = text[start:end]
                if token[0].islower() or (token.isupper() and len(token) <= 3):  # "RR", "atorvastatin"
                    continue
                # The lists know better than the small model: a drug ("Coumadin"), a heading ("HANDOVER
                # LIST"), an eponym ("Guillain-Barre") is no person; a name that is also a word
                # ("Will") is one only beside another name part.
                kind = classify(token, text[end : end + 30])
                if kind == "word" or (kind == "ambiguous" and not beside_name(text, start, end)):
                    continue
                article = regex.search(r"(?i:\bthe|\ban|\ba)[ \t]+$", text[max(0, start - 6) : start])
                if kind != "name" and article:
                    continue  # "the Brambleton platform": a product or a place, not a person
                results.append(self.result(start, end, score, entity))
        return results


def beside_name(text: str, start: int, end: int) -> bool:
    """Whether another name part stands right before or after ``text[start:end]`` ("Will Smith")."""
    before = regex.search(rf"({LISTED_TOKEN})[ \t]+$", text[max(0, start - 30) : start])
    after = regex.match(rf"[ \t]+({LISTED_TOKEN})", text[end : end + 30])
    return any(m and classify(m.group(1)) in ("name", "unknown", "initial") for m in (before, after))
