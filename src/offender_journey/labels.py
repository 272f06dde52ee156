"""Human labels for the codes of the vocabulary: words in text and pictures, codes in JSON.

A code the table below does not name is shown as its words (``theft_of_vehicle`` →
"Theft of vehicle"), so a new code is readable before anyone writes its label. This module
imports nothing of the package: every layer may use it.

Examples:
    >>> label("court_non_custodial")
    'Court sentence, not custody'
    >>> label("failed_to_appear/A")
    'Failed to appear (category A)'
    >>> label("criminal_damage_other")
    'Criminal damage (other)'
    >>> label("on_bail", capital=False)
    'on bail'
"""

from __future__ import annotations

__all__ = ["label"]

#: Labels that the words of the code would get wrong (abbreviations, brackets, order).
_LABELS: dict[str, str] = {
    # Offence categories.
    "burglary_domestic": "Burglary (dwelling)",
    "burglary_other": "Burglary (other)",
    "sexual_against_child": "Sexual offence against a child",
    "sexual_other": "Sexual offence (other)",
    "theft_other": "Theft (other)",
    "criminal_damage_arson": "Arson",
    "criminal_damage_other": "Criminal damage (other)",
    "drugs_production": "Drugs: production",
    "drugs_supply": "Drugs: supply",
    "drugs_possession": "Drugs: possession",
    "motoring_other": "Motoring (other)",
    "absconding_or_bail": "Absconding or bail offence",
    "breach": "Breach of order or licence",
    # OGRS3 offence groups and reoffending index kinds.
    "theft_non_motor": "Theft (not motor)",
    "court_non_custodial": "Court sentence, not custody",
    "release_from_custody": "Release from custody",
    # Outcomes, disposals and sanctions.
    "no_further_action": "No further action",
    "immediate_custody": "Immediate custody",
    "youth_conditional": "Youth conditional",
    # Episodes.
    "warrant_outstanding": "Warrant outstanding",
    "in_custody": "In custody",
    # Data-quality kinds whose words alone would read as a telegram.
    "outcome_unknown_charge": "Outcome for an unknown charge",
    "sentence_unknown_charge": "Sentence for an unknown charge",
    "sentence_charge_not_convicted": "Sentence for a charge not convicted",
    "resent_charge_id": "Charge id sent again",
    "resent_id": "Id sent again",
    "retraction_unknown_target": "Retraction of an unknown event",
    "bail_while_held": "Bail while held",
    "order_while_in_prison": "Community order while in prison",
}


def label(code: str, *, capital: bool = True) -> str:
    """The words for ``code``; ``kind/X`` (a warrant kind and its category) reads
    "Kind (category X)". ``capital=False`` gives the label as it reads inside a sentence.
    """
    kind, _, category = code.partition("/")
    words = _LABELS.get(kind) or kind.replace("_", " ").strip().capitalize() or code
    if category:
        words = f"{words} (category {category})"
    if not capital and not _starts_with_abbreviation(words):
        words = words[0].lower() + words[1:]
    return words


def _starts_with_abbreviation(words: str) -> bool:
    first = words.split(" ", 1)[0].rstrip(":,")
    return len(first) > 1 and first.isupper()
