"""`newsearch index`'s progress (cli/progress.py): done out of total, rate and time left."""
import io

from cli.progress import Progress


class Clock:
    """A clock that reads what the test last set."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_in_a_log_a_line_every_interval_with_the_total_rate_and_time_left():
    log, clock = io.StringIO(), Clock()
    progress = Progress(10, log, interval=5, clock=clock)
    assert progress.bar is None  # a StringIO is not a terminal
    clock.now += 1
    progress.update(2)
    assert log.getvalue() == ""  # less than the interval since the start
    clock.now += 4
    progress.update(2)  # 4 of 10 in 5 s: 0.8/s, 6 left: 7.5 s
    clock.now += 2
    progress.update(1)  # 2 s after the last line: nothing
    clock.now += 5
    progress.update(5)  # 10 of 10 in 12 s
    progress.close()
    assert log.getvalue().splitlines() == [
        "progress: 4/10 articles (40%), 0.8/s, ETA 00:07",
        "progress: 10/10 articles (100%), 0.8/s, ETA 00:00",
    ]


def test_on_a_terminal_a_bar_that_knows_the_total():
    out = io.StringIO()
    progress = Progress(4, out, terminal=True)
    progress.update(1)
    progress.close()
    assert progress.bar.total == 4 and progress.bar.n == 1
    assert "1/4" in out.getvalue() and "articles/s" in out.getvalue()
