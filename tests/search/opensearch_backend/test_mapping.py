"""The index layout on the cluster. The indexed terms are read back with `termvectors`, not
`_analyze`: osmem-server's `_analyze` reports what an analyzer should do, not what it indexed
(an analyzer it mis-indexes turns every token into "" and every query into match-all)."""
from search.fields import FIELDS
from search.opensearch_backend.mapping import from_source, index_body, to_document
from search.request import SearchRequest
from tests.search.opensearch_backend.corpus import CORPUS


def test_the_mapping_follows_the_field_declaration():
    body = index_body(FIELDS, shards=3, replicas=2)
    assert (body["settings"]["number_of_shards"], body["settings"]["number_of_replicas"]) == (3, 2)
    props = body["mappings"]["properties"]
    for facet in FIELDS.facets:
        assert props[facet.name]["type"] == "keyword" and "text" in props[facet.name]["fields"]
    assert props["title"]["analyzer"] == props["body"]["analyzer"] == "english"
    assert props["published"]["type"] == "date" and props["checksum"]["type"] == "keyword"
    assert body["mappings"]["dynamic"] is False


def test_an_article_round_trips_through_its_document():
    for article in CORPUS:
        assert from_source(to_document(article, FIELDS), FIELDS) == article


def test_text_fields_index_stemmed_terms(empty_os):
    empty_os.add(CORPUS, wait=1)
    client, index = empty_os.client, empty_os.concrete()
    vectors = client.termvectors(index=index, id="rail-1", fields=["title", "body", "title.plain", "person.text"])
    terms = {name: set(v["terms"]) for name, v in vectors["term_vectors"].items()}
    assert terms["title"] == {"railwai", "strike", "halt", "train"}
    assert {"rail", "worker", "strike", "pai", "stop", "north"} <= terms["body"] and "" not in terms["body"]
    assert terms["title.plain"] == {"railway", "strike", "halts", "trains"}
    assert terms["person.text"] == {"ann", "lee"}
    # The symptom of an analyzer indexing "": a word no article has would match every article.
    assert empty_os.search(SearchRequest(q="zeppelin")).total == 0
    assert empty_os.search(SearchRequest(q="halting")).total == 1  # stemmed: halts ~ halting
