"""The limiter against limits it is not told, on a simulated clock (`limit_sim.py`).

Charter: never tune to one setting of your own fake. So these sweep the limit (2 to 60
requests/s), the latency (0 to 300 ms), the server's way of throttling (token bucket, fixed
window) and whether it sends `Retry-After`, and hold the limiter to the issue's bar:
>= 0.9 of the rate-bound optimum (requests / limit + one latency), nothing lost. Each
condition needs 20 s at its limit; the whole sweep takes a few seconds of CPU.
"""

import itertools

import pytest

from stock_assets_tests.prices.limit_sim import SimServer, simulate

LIMITS = (2, 3, 7, 13, 29, 41, 60)
LATENCIES = (0.0, 0.1, 0.3)


@pytest.mark.parametrize("style, retry_after", itertools.product(("bucket", "window"), (False, True)))
def test_the_limiter_runs_at_limits_it_is_not_told(style, retry_after):
    worst = []
    for limit, latency in itertools.product(LIMITS, LATENCIES):
        result = simulate(limit, needed=int(limit * 20), latency=latency, style=style, retry_after=retry_after)
        worst.append((round(result.efficiency, 3), limit, latency, result.throttled))
    worst.sort()
    assert worst[0][0] >= 0.9, f"{style}, Retry-After {retry_after}: worst (efficiency, limit, latency, 429s) {worst[:3]}"


@pytest.mark.parametrize("start_rate", [2.0, 15.0, 200.0])
def test_the_start_rate_only_costs_the_first_seconds(start_rate):
    """Starting far below or far above the limit: the rate is found either way."""
    result = simulate(20, needed=20 * 30, latency=0.05, style="bucket", start_rate=start_rate)
    assert result.efficiency >= 0.85, result
    assert 0.85 * 20 <= result.final_rate <= 1.15 * 20, result


def test_the_simulated_servers_throttle_as_described():
    bucket = SimServer(2, "bucket", retry_after=True)
    assert [bucket.answer(0.0)[0] for _ in range(3)] == [200, 200, 429]  # starts full: one second's worth
    assert bucket.answer(0.0)[1] == 1.0 and bucket.answer(0.5) == (200, None)
    window = SimServer(2, "window")
    assert [window.answer(t)[0] for t in (0.1, 0.2, 0.9, 1.0)] == [200, 200, 429, 200]
