"""A small corpus whose counts are checked by hand in the tests."""
from datetime import datetime, timezone

from search.article import Article


def day(y, m, d):
    return datetime(y, m, d, tzinfo=timezone.utc)


CORPUS = [
    Article(id="rail-1", title="Railway strike halts trains", body="Rail workers strike over pay. Trains stopped across the north.",
            source="Wire", people=["Ann Lee"], places=["Leeds"], published=day(2024, 3, 1)),
    Article(id="rail-2", title="Railway strike talks resume", body="Union and managers meet about the railway strike.",
            source="Post", people=["Ann Lee", "Bob Hart"], places=["York"], published=day(2024, 3, 5)),
    Article(id="rail-3", title="New railway line opens", body="A new line opens to passengers in York.",
            source="Wire", people=["Bob Hart"], places=["York"], published=day(2024, 2, 10)),
    Article(id="port-1", title="Port strike ends", body="Dock workers end their strike after a deal.",
            source="Post", people=["Cy Ames"], places=["Hull"], published=day(2023, 11, 20)),
    Article(id="bake-1", title="Bakery wins award", body="The bakery's bread won a <b>national</b> award & a prize.",
            source="Gazette", places=["Leeds"], author="Dee Fox", url="https://example.org/bake",
            dateline="LEEDS", origin="https://example.org/bake", entity_mentions='{"x": 1}'),
    Article(id="old-1", title="Strike of 1984 remembered", body="Miners remember the strike.",
            source="Gazette", published=day(1984, 3, 6)),
]
STRIKE = {"rail-1", "rail-2", "port-1", "old-1"}
