"""The ranking function: Whoosh's per-field BM25 with the Robertson-Sparck Jones idf that Lucene and
Terrier use, log(1 + (N - n + 0.5) / (n + 0.5)), in place of Whoosh's log(N / (n + 1)) + 1. Whoosh's
"+ 1" gives a word in most documents nearly the weight of a rare one, which matters once long
questions are OR-ed: their common words would crowd out the distinctive ones."""
from __future__ import annotations

from math import log

from whoosh import scoring


class BM25(scoring.BM25F):
    def idf(self, searcher, fieldname, text):
        n = searcher.doc_frequency(fieldname, text)
        total = searcher.doc_count_all()
        return log(1 + (total - n + 0.5) / (n + 0.5))
