import gc

from dangjian.core.gcpause import paused_gc


def test_the_collector_is_off_inside_and_back_on_after_even_when_nested_or_raising():
    assert gc.isenabled()
    try:
        with paused_gc():
            assert not gc.isenabled()
            with paused_gc():
                assert not gc.isenabled()
            assert not gc.isenabled()  # the inner block does not switch it back on early
            raise ValueError
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_collector_switched_off_by_someone_else_stays_off():
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
