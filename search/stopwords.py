"""English stop words dropped from free-text queries (not from phrases, not from the index).

Two kinds. The words of Lucene's English stop set (`_english_` in OpenSearch's `english` analyzer,
bm25s's "en") say nothing about a document: always dropped. The other function words (what, when,
could, own, ...) are dropped from what a query requires, but in a query of keywords (every word
required) they still count, optionally, where a document has them: a pasted fragment such as "does
it give to the" then ranks its own article first (bench/relevance: known items of 5 words), while
"what is brexit" still finds every article about Brexit."""

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before being below
    between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few
    for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
    himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
    myself no nor not of off on once only or other ought our ours ourselves out over own same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them themselves then there there's
    these they they'd they'll they're they've this those through to too under until up very was wasn't we we'd
    we'll we're we've were weren't what what's when when's where where's which while who who's whom why why's with
    won't would wouldn't you you'd you'll you're you've your yours yourself yourselves s t d ll m re ve
    also may might must shall will upon us""".split()
)

# Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, which OpenSearch's `english` analyzer uses.
ALWAYS_DROPPED = frozenset(
    """a an and are as at be but by for if in into is it no not of on or such that the their then there these
    they this to was will with""".split()
)
assert ALWAYS_DROPPED <= STOP_WORDS
