"""The cyclic collector's young passes, made once a key's frame is drawn rather than in the middle of a key."""

import gc


def collect_young() -> None:
    """Make now, between keys, the young collection the collector would make at the next allocations.

    A key leaves some tens of new objects behind (its event, its row, the frame's strips), so the
    collector's own passes fell inside every dozenth key (0.3-0.5 ms), and every tenth of those took in
    the young objects of ten passes: 2-3.5 ms in about one key of 140, the slowest 1% that sets the
    p99 of benchmarks/bench_keys.py. Made after each key's frame, a pass walks one key's objects
    (about 0.05 ms; 0.3 every tenth) while nobody waits. The collector still runs by itself whenever
    something makes more than its threshold, and the old generation is left to it: its full passes
    would walk everything made since the code was opened.
    """
    if not gc.isenabled():
        return  # paused (the launch, recorder/cli/group.py): not made behind its back
    count0, count1, _ = gc.get_count()
    _, threshold1, _ = gc.get_threshold()
    if count1 >= threshold1:
        gc.collect(1)  # the collector's next pass would take in the middle generation too
    elif count0 > 0:
        gc.collect(0)
