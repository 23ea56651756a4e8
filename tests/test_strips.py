"""Kernels over strips of rows on several threads (``kernels.strips``)."""

import threading

from imgkit.kernels import strips


def test_each_calling_thread_has_its_own_helpers():
    """One pool was shared by every thread of a -j batch: with more than two cores, N images at once
    queued their strips behind each other's on the helpers of one image."""
    pools = {}
    ready = threading.Barrier(2)

    def take(name):
        ready.wait()    # both alive at once: a thread's identity is not reused meanwhile
        pools[name] = strips._helper_pool(3)
        ready.wait()
    threads = [threading.Thread(target=take, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert pools["a"] is not pools["b"]
    assert strips._helper_pool(3) is strips._helper_pool(3)     # kept for the thread's later calls
