"""One expert's text pieces: the first at once, quick ones merged, slow ones unchanged."""

from expert_service.pacing import DeltaPacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_first_piece_goes_at_once_and_quick_ones_join_the_next_send():
    clock = Clock()
    pacer = DeltaPacer(0.05, clock=clock)
    assert pacer.add("오늘") == "오늘"
    clock.now += 0.01
    assert pacer.add(" 소개팅") is None
    clock.now += 0.01
    assert pacer.add("에는") is None
    clock.now += 0.04  # 60 ms after the last send
    assert pacer.add(" 네이비") == " 소개팅에는 네이비"
    clock.now += 0.01
    assert pacer.add(" 니트") is None
    assert pacer.flush() == " 니트"
    assert pacer.flush() == ""


def test_pieces_slower_than_the_interval_pass_unchanged():
    clock = Clock()
    pacer = DeltaPacer(0.05, clock=clock)
    sent = []
    for piece in ["하나", "둘", "셋", "넷"]:
        sent.append(pacer.add(piece))
        clock.now += 0.3  # one token every 300 ms, as a slow model streams
    assert sent == ["하나", "둘", "셋", "넷"]


def test_no_interval_sends_every_piece():
    pacer = DeltaPacer(0.0)
    assert [pacer.add(p) for p in ["a", "b", "c"]] == ["a", "b", "c"]
