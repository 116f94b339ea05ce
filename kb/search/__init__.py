"""Retrieval: lexical BM25 (words and bigrams), dense vectors, and their fusion."""
