"""Hypothesis strategies for query strings: any nesting of the syntax (tests/hostile), shared with the
Whoosh backend's tests (tests/search/whoosh_backend), which must not import the API."""
from __future__ import annotations

from hypothesis import strategies as st

WORDS = ["police", "council", "Kansas", "city", "fire", "river", "van", "brunt", "the", "a", "é", "東京", "ab", "abc"]
FIELDS = ["title", "body", "person", "people", "org", "place", "source", "author", "published", "date", "nofield", "headline"]
# Dates at the calendar's edges, with offsets that push their UTC instant past them.
EDGE_RANGES = ["[0001-01-01T00:00:00+01:00 TO *]", "[* TO 9999-12-31T23:59:59-01:00]", "0001-01-01", "9999-12-31",
               ">=9999-12-31T23:59:59.999999", "<0001-01-01", "[0000-01-01 TO 10000-01-01]", "[9999-12 TO 0001-01]"]
SYNTAX = ['"', "(", ")", "AND", "OR", "NOT", "-", "+", "*", "?", "~", "~2", "^2", ":", "[", "]", "{", "}", "TO", "\\", "/", "&&", "||", "!"]


@st.composite
def structured_queries(draw) -> str:
    def atom():
        return st.one_of(
            st.sampled_from(WORDS),
            st.text(min_size=1, max_size=8),
            st.builds(lambda f, w: f"{f}:{w}", st.sampled_from(FIELDS), st.sampled_from(WORDS + ["*", '"x y"', "[2020 TO 2021]", "2020-07", *EDGE_RANGES])),
            st.builds(lambda w, s: w + s, st.sampled_from(WORDS), st.sampled_from(["*", "~", "~1", "~3", "*b*c*", "?", "^3"])),
            st.sampled_from(SYNTAX),
        )

    def extend(children):
        return st.one_of(
            st.builds(lambda xs: "(" + " ".join(xs) + ")", st.lists(children, max_size=4)),
            st.builds(lambda xs: '"' + " ".join(xs) + '"', st.lists(children, max_size=4)),
            st.builds(lambda a, op, b: f"{a} {op} {b}", children, st.sampled_from(["AND", "OR", "NOT", "", "-", "&&"]), children),
        )

    tree = draw(st.recursive(atom(), extend, max_leaves=12))
    return tree[:512]
