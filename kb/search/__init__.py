"""Answering questions: BM25 channels, dense retrieval, fusion, FAQ matching, the searcher, answers, evaluation."""
