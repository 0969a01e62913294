"""PresenceBook: presence per web process, reports versus changes, silent processes."""

from engine.presence import PROCESS_SILENCE_SECONDS, PresenceBook

SEAT = ("g1", "alice")


def test_a_report_does_not_undo_a_change_it_had_not_seen():
    book = PresenceBook()
    assert book.change(process="w", seq=1, seat=SEAT, delta=+1, now=0) == [(SEAT, True)]
    # Change 2 (the socket closed) arrives before the report made at change 1.
    assert book.change(process="w", seq=2, seat=SEAT, delta=-1, now=0) == [(SEAT, False)]
    assert book.report(process="w", seq=1, seats=[SEAT], now=0) == []
    assert not book.is_connected(SEAT)


def test_a_change_already_in_a_report_is_not_counted_twice():
    book = PresenceBook()
    assert book.report(process="w", seq=5, seats=[SEAT], now=0) == [(SEAT, True)]
    assert book.change(process="w", seq=5, seat=SEAT, delta=+1, now=0) == []
    assert book.change(process="w", seq=6, seat=SEAT, delta=-1, now=0) == [(SEAT, False)]


def test_an_older_report_is_ignored():
    book = PresenceBook()
    book.report(process="w", seq=9, seats=[], now=0)
    assert book.report(process="w", seq=3, seats=[SEAT], now=0) == []
    assert not book.is_connected(SEAT)


def test_a_player_stays_connected_while_any_process_holds_a_socket():
    book = PresenceBook()
    book.change(process="w1", seq=1, seat=SEAT, delta=+1, now=0)
    assert book.change(process="w2", seq=1, seat=SEAT, delta=+1, now=0) == []
    assert book.change(process="w1", seq=2, seat=SEAT, delta=-1, now=0) == []
    assert book.change(process="w2", seq=2, seat=SEAT, delta=-1, now=0) == [(SEAT, False)]


def test_the_sockets_of_a_silent_process_expire():
    book = PresenceBook()
    book.change(process="dead", seq=1, seat=SEAT, delta=+1, now=0)
    book.report(process="alive", seq=0, seats=[], now=PROCESS_SILENCE_SECONDS)
    assert book.expire(PROCESS_SILENCE_SECONDS) == []
    assert book.expire(PROCESS_SILENCE_SECONDS + 0.1) == [(SEAT, False)]
    # A report from the process that was thought dead brings its players back.
    assert book.report(process="dead", seq=3, seats=[SEAT], now=20) == [(SEAT, True)]


def test_closing_more_sockets_than_were_opened_never_goes_negative():
    book = PresenceBook()
    book.change(process="w", seq=1, seat=SEAT, delta=-1, now=0)
    assert book.change(process="w", seq=2, seat=SEAT, delta=+1, now=0) == [(SEAT, True)]
