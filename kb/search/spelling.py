"""Other spellings of a typed search term, from the knowledge base's own vocabulary."""

from kb.search.service import Searcher
from kb.search.text.vocabulary import Vocabulary

MAX_SPELLINGS = 3  # a short abbreviation can stand for many words; the most used few are enough


def spellings(searcher: Searcher, term: str) -> list[str]:
    """Known words ``term`` abbreviates or sounds like (高企 → 高新技术企业), most used first.

    The same matcher the answers use (kb/search/text/vocabulary.py); empty for phrases, for
    terms with no such word, and before anything is indexed.
    """
    term = term.strip()
    vocab = vocabulary_of(searcher) if term and " " not in term else None
    if vocab is None:
        return []
    found = [t for t, how in vocab.expand(term, even_known=True) if how != "known"]
    return found[:MAX_SPELLINGS]


def vocabulary_of(searcher: Searcher) -> Vocabulary | None:
    """The vocabulary of the searcher's current index, or None before anything is indexed."""
    searcher.ensure_fresh()
    return None if searcher.snap is None else Vocabulary.of_index(searcher.snap.lexical)
