"""What the bm25s peers of bench/search.py and bench/api.py share: the product's jieba words,
cut afresh for every question.

The product keeps the cut of its last questions (kb/search/text/tokenize.py), so a peer calling
``words`` right after ``ask`` on the same question would get its tokens for free; a peer pays
for its own tokenising, as a bare bm25s service would.
"""

from kb.search.text.tokenize import STOPWORDS, TOKEN_OK, jieba_tokenizer, normalize


def jieba_words(text: str) -> list[str]:
    """jieba search-mode words without stopwords: ``words(text)``, but never from a cache."""
    kept = (w.strip() for w in jieba_tokenizer().cut_for_search(normalize(text)))
    return [w for w in kept if w and w not in STOPWORDS and TOKEN_OK.search(w)]
