"""The built-in list of adverse event terms a report is coded with.

MedDRA, the dictionary regulators use, is licensed, so the center ships its own short list of
the terms its residents' medicines and stays most often bring (psychotropics, sleep aids,
analgesics, and the harms the program exists to catch). Each term has a stable code, which is
what signal detection counts; the reporter's own words are kept beside it. A code is never
reused or renamed: retired terms stay so that old reports still read.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    name: str
    group: str


_GROUPS = {
    "Memory and thinking": [
        ("memory-impairment", "Memory impairment"),
        ("amnesia", "Amnesia (loss of memory for a period)"),
        ("confusion", "Confusion"),
        ("disorientation", "Disorientation"),
        ("concentration-impaired", "Difficulty concentrating"),
    ],
    "Consciousness and sleep": [
        ("sedation", "Sedation"),
        ("somnolence", "Somnolence (drowsiness)"),
        ("insomnia", "Insomnia"),
        ("nightmares", "Nightmares"),
        ("loss-of-consciousness", "Loss of consciousness"),
        ("respiratory-depression", "Respiratory depression"),
    ],
    "Mood and behaviour": [
        ("suicidal-ideation", "Suicidal ideation"),
        ("self-harm", "Self-harm"),
        ("depression-worsened", "Depression, worsened"),
        ("anxiety", "Anxiety"),
        ("agitation", "Agitation"),
        ("hallucination", "Hallucination"),
        ("emotional-blunting", "Emotional blunting"),
    ],
    "Nervous system": [
        ("headache", "Headache"),
        ("dizziness", "Dizziness"),
        ("tremor", "Tremor"),
        ("seizure", "Seizure"),
        ("fall", "Fall"),
    ],
    "Body": [
        ("nausea", "Nausea"),
        ("vomiting", "Vomiting"),
        ("diarrhoea", "Diarrhoea"),
        ("dry-mouth", "Dry mouth"),
        ("weight-gain", "Weight gain"),
        ("sexual-dysfunction", "Sexual dysfunction"),
        ("palpitations", "Palpitations"),
        ("hypotension", "Low blood pressure"),
        ("rash", "Rash"),
    ],
    "Medicines": [
        ("overdose", "Overdose"),
        ("withdrawal", "Withdrawal symptoms"),
        ("medication-error", "Medication error"),
    ],
    "Other": [("other", "Other (described in the reporter's words)")],
}

TERMS = [Term(code, name, group) for group, items in _GROUPS.items() for code, name in items]
BY_CODE = {t.code: t for t in TERMS}
CHOICES = [(group, [(c, n) for c, n in items]) for group, items in _GROUPS.items()]
MAX_CODE = max(len(t.code) for t in TERMS)


def name_of(code: str) -> str:
    term = BY_CODE.get(code)
    return term.name if term else code
