"""Latency machinery of the fluid data plane: service-time draws, queueing delay, histograms.

Latencies are sampled per (version, tick) — ``k = min(n, K)`` draws standing for ``n`` requests —
into a fine log histogram (γ = 1.02, ~1 % relative error), then re-bucketed onto the production
``le`` bounds so the console and the judge see Prometheus' own artefacts.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

GAMMA = 1.02
LOG_MIN_S = 1e-4  # 0.1 ms
LOG_MAX_S = 1e3
LOG_BUCKETS = int(math.ceil(math.log(LOG_MAX_S / LOG_MIN_S) / math.log(GAMMA))) + 1
_LOG_GAMMA = math.log(GAMMA)
QUEUE_RHO_CAP = 0.97  # steady-state formulas blow up at ρ → 1; overload goes to the backlog instead


def log_bucket_index(latencies_s: np.ndarray) -> np.ndarray:
    scaled = np.log(np.maximum(latencies_s, LOG_MIN_S) / LOG_MIN_S) / _LOG_GAMMA
    return np.minimum(scaled.astype(np.int64), LOG_BUCKETS - 1)


def log_bucket_upper_edges() -> np.ndarray:
    return LOG_MIN_S * GAMMA ** (np.arange(LOG_BUCKETS) + 1)


def le_mapping(bounds: Sequence[float]) -> np.ndarray:
    """For each fine bucket, the index of the ``le`` bucket it falls into (len(bounds) = +Inf).

    A fine bucket is assigned by its geometric midpoint; the bound at the SLO threshold is therefore
    accurate to within a bucket width (~1 %).
    """
    mids = log_bucket_upper_edges() / math.sqrt(GAMMA)
    return np.searchsorted(np.asarray(bounds, dtype=float), mids, side="left")


def erlang_c(offered: float, servers: int) -> float:
    """Probability that an arrival waits in an M/M/c queue (offered load a = λ/μ, c servers)."""
    if servers <= 0:
        return 1.0
    rho = min(offered / servers, QUEUE_RHO_CAP)
    a = rho * servers
    if servers <= 64:
        blocking = 1.0  # Erlang B by the stable recurrence: exact and cheap for a few servers
        for k in range(1, servers + 1):
            blocking = a * blocking / (k + a * blocking)
    else:
        blocking = _erlang_b_pooled(a, servers)
    return blocking / (1.0 - rho * (1.0 - blocking))


def _erlang_b_pooled(a: float, servers: int) -> float:
    """Erlang B for pooled queues (least-request over many pods): B = pmf(c; a) / cdf(c; a) in closed
    form, O(1) instead of a loop over hundreds of servers every tick.

    scipy's Poisson CDF is imported here, on the first pooled queue, not with the module: a fleet of
    small queues (the default scenario) never pays for loading scipy at start-up."""
    from scipy.special import pdtr

    log_pmf = servers * math.log(a) - a - math.lgamma(servers + 1) if a > 0 else -math.inf
    cdf = float(pdtr(servers, a))
    return math.exp(log_pmf) / cdf if cdf > 0 else 1.0


# Φ, the standard normal CDF, on arrays: numpy has no erf, and this runs once per cached wait shape.
_normal_cdf = np.frompyfunc(lambda x: 0.5 * math.erfc(-x / math.sqrt(2.0)), 1, 1)


def draw_service_times(rng: np.random.Generator, k: int, components) -> np.ndarray:
    """k service times from a mixture of exponential/lognormal components (one component: no mixing)."""
    if len(components) == 1:
        return _draw_component(rng, k, components[0])
    choice = rng.choice(len(components), size=k, p=[c.weight for c in components])
    out = np.empty(k)
    for index, component in enumerate(components):
        mask = choice == index
        out[mask] = _draw_component(rng, int(mask.sum()), component)
    return out


def _draw_component(rng: np.random.Generator, k: int, component) -> np.ndarray:
    if component.dist == "exponential":
        return rng.exponential(component.mean_s, size=k)
    # lognormal with the given mean and coefficient of variation
    sigma2 = math.log1p(component.cv * component.cv)
    mu = math.log(component.mean_s) - sigma2 / 2.0
    return rng.lognormal(mu, math.sqrt(sigma2), size=k)


@functools.lru_cache(maxsize=1024)
def wait_shape(components: tuple, servers: int) -> tuple[float, float]:
    """How a service-time law shapes the waits of a queue with ``servers`` slots (cached per law).

    Returns ``(moment_ratio, light_traffic)``:

    - ``moment_ratio = E[S]·E[S³] / E[S²]²`` (1.5 exponential, 1 + cv² lognormal) sets the
      conditional wait's CV (``draw_waits``);
    - ``light_traffic = E[min of c equilibrium residual service times] / (E[R]/c)``: the mean wait of
      a request that waits, as load → 0, relative to Allen–Cunneen's (Burman & Smith's light-traffic
      limit for M/G/c). 1 for exponential service; 0.64 for lognormal CV 1.5 at c = 4, 1.30 for CV 0.5.

    Both are scale-free, so node speed and latency factors leave them unchanged.
    """
    m1 = m2 = m3 = 0.0  # raw moments E[S], E[S²], E[S³] of the mixture
    for c in components:
        if c.dist == "exponential":
            m1, m2, m3 = m1 + c.weight * c.mean_s, m2 + 2.0 * c.weight * c.mean_s**2, m3 + 6.0 * c.weight * c.mean_s**3
        else:  # lognormal: E[S^j] = mean^j (1 + cv²)^(j(j-1)/2)
            w = 1.0 + c.cv * c.cv
            m1, m2, m3 = m1 + c.weight * c.mean_s, m2 + c.weight * c.mean_s**2 * w, m3 + c.weight * c.mean_s**3 * w**3
    ratio = m1 * m3 / (m2 * m2)
    one_exponential = all(c.dist == "exponential" for c in components) and len({c.mean_s for c in components}) == 1
    if servers <= 1 or one_exponential:
        return ratio, 1.0  # exact: the minimum of c exponentials is exponential with rate cμ
    residual_mean = m2 / (2.0 * m1)
    # P(R > t) = E[(S − t)⁺] / E[S]; integrate P(R > t)^c over a log grid (≪ 1 % error).
    t = residual_mean * np.concatenate(([0.0], np.geomspace(1e-9, 1e4, 6000)))
    excess = np.zeros_like(t)
    for c in components:
        if c.dist == "exponential":
            excess += c.weight * c.mean_s * np.exp(-t / c.mean_s)
        else:
            sigma = math.sqrt(math.log1p(c.cv * c.cv))
            mu = math.log(c.mean_s) - sigma * sigma / 2.0
            with np.errstate(divide="ignore"):
                d1 = (mu + sigma * sigma - np.log(t)) / sigma
            excess += c.weight * (c.mean_s * _normal_cdf(d1).astype(float) - t * _normal_cdf(d1 - sigma).astype(float))
    survival = np.clip(excess / m1, 0.0, 1.0) ** servers
    expected_min = float(np.sum((survival[1:] + survival[:-1]) / 2.0 * np.diff(t)))
    return ratio, expected_min / (residual_mean / servers)


def draw_waits(
    rng: np.random.Generator,
    k: int,
    *,
    arrival_rate: float,
    mean_service_s: float,
    cv: float,
    pods: int,
    concurrency: int,
    moment_ratio: float = 1.5,
    light_traffic: float = 1.0,
) -> np.ndarray:
    """Queueing delay per sampled request: per-pod M/G/c waits.

    kube-proxy balances at random, so each pod is its own queue with λ/pods arrivals (pooling them
    would understate p99 by ~60 % at ρ = 0.9). A request waits with the Erlang C probability. Given
    that it waits, its wait is gamma-distributed with

    - mean: the M/M/c mean 1/θ scaled by Allen–Cunneen (1 + cs²)/2 — exact in heavy traffic —
      interpolated towards the light-traffic limit as ``ρ + (1 − ρ)·light_traffic`` (Burman & Smith's
      light/heavy-traffic interpolation);
    - squared CV ``2ρ − 1 + (4/3)(1 − ρ)·moment_ratio``: the M/G/1 conditional wait (Takács' moments)
      of the pod seen as one fast server; exactly 1 (exponential) for exponential service.

    Why (measured against the per-request oracle, tests/oracle, 4 pods × 4 slots): with lognormal
    CV 1.5 at ρ = 0.9 a waiting request's wait has CV 1.10 (formula: 1.11) and a 99th percentile
    12 % above an exponential's, so exponential waits left p99 4–6 % low, at the edge of the 5 %
    target; now +1–3 %. That wait's mean is 0.80 × Allen–Cunneen at ρ = 0.5 and 0.94 × at 0.9
    (interpolation: 0.82, 0.96). p99 is within +3.5 % for lognormal CV 0.5–1.5 and ρ 0.3–0.9.
    Limits: for very variable service no two-moment formula holds (Gupta et al. 2010): p99 comes out
    6–11 % high at CV 2 and 25–45 % high at CV 3.
    """
    if pods <= 0 or arrival_rate <= 0:
        return np.zeros(k)
    per_pod = arrival_rate / pods
    mu = 1.0 / mean_service_s
    offered = per_pod / mu
    rho = min(offered / concurrency, QUEUE_RHO_CAP)
    p_wait = erlang_c(offered, concurrency)
    theta = concurrency * mu * (1.0 - rho)
    allen_cunneen = (1.0 + cv * cv) / 2.0  # (ca² + cs²)/2 with Poisson arrivals (ca = 1)
    mean_wait = allen_cunneen / theta
    if light_traffic != 1.0:
        mean_wait *= rho + (1.0 - rho) * light_traffic
    cv2 = max(0.05, 2.0 * rho - 1.0 + 4.0 / 3.0 * (1.0 - rho) * moment_ratio)
    waits = np.zeros(k)
    waiting = rng.random(size=k) < p_wait
    m = int(np.count_nonzero(waiting))
    if m:  # draw only for the requests that wait (a gamma draw costs ~6 exponential ones)
        if abs(cv2 - 1.0) < 1e-9:
            waits[waiting] = rng.exponential(mean_wait, size=m)
        else:
            waits[waiting] = rng.gamma(1.0 / cv2, mean_wait * cv2, size=m)
    return waits
