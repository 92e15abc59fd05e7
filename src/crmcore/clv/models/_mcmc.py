"""Convergence diagnostics of Markov chains: split R-hat, effective sample size, intervals.

Rank-normalized split R-hat and bulk effective sample size after Vehtari,
Gelman, Simpson, Carpenter & Buerkner (2021), "Rank-normalization, folding, and
localization: an improved R-hat for assessing convergence of MCMC", with
Geyer's (1992) initial monotone sequence; autocovariances by FFT beyond a few
lags, so a long chain costs O(n log n).
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Sequence
from statistics import NormalDist

from crmcore.clv.models._interval import Interval

#: Lags of the autocovariance summed directly before switching to the FFT (O(n log n)).
_DIRECT_LAGS = 64


def _split(chains: Sequence[Sequence[float]]) -> list[list[float]]:
    """Each chain cut into its first and last halves (the middle draw of an odd chain dropped)."""
    out: list[list[float]] = []
    for chain in chains:
        half = len(chain) // 2
        out.extend((list(chain[:half]), list(chain[len(chain) - half :])))
    return out


def _rank_normalize(chains: Sequence[Sequence[float]]) -> list[list[float]]:
    """Pooled ranks (ties averaged) mapped to normal scores ``Phi^-1((r - 3/8) / (S + 1/4))``."""
    flat = [v for chain in chains for v in chain]
    total = len(flat)
    order = sorted(range(total), key=flat.__getitem__)
    ranks = [0.0] * total
    i = 0
    while i < total:
        j = i
        while j + 1 < total and flat[order[j + 1]] == flat[order[i]]:
            j += 1
        average = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            ranks[order[k]] = average
        i = j + 1
    normal = NormalDist()
    scores = [normal.inv_cdf((r - 0.375) / (total + 0.25)) for r in ranks]
    out: list[list[float]] = []
    at = 0
    for chain in chains:
        out.append(scores[at : at + len(chain)])
        at += len(chain)
    return out


def _r_hat_basic(chains: Sequence[Sequence[float]]) -> float:
    """``sqrt(var+ / W)`` over equal-length chains (BDA3 eq. 11.3-11.4)."""
    n = len(chains[0])
    means = [math.fsum(c) / n for c in chains]
    within = math.fsum(
        math.fsum((v - mu) ** 2 for v in c) / (n - 1) for c, mu in zip(chains, means, strict=True)
    ) / len(chains)
    grand = math.fsum(means) / len(means)
    between = n * math.fsum((mu - grand) ** 2 for mu in means) / (len(means) - 1)
    if not within > 0:
        return math.nan
    var_plus = (n - 1) / n * within + between / n
    return math.sqrt(var_plus / within)


def split_r_hat(chains: Sequence[Sequence[float]]) -> float:
    """Rank-normalized split R-hat: the larger of the bulk and the folded (Vehtari et al. 2021).

    Values near 1 (below 1.01) mean the chains agree. NaN when the chains have
    fewer than 4 draws each or no spread at all.
    """
    if not chains or min(len(c) for c in chains) < 4:
        return math.nan
    length = min(len(c) for c in chains)
    equal = [list(c[:length]) for c in chains]
    halves = _split(equal)
    bulk = _r_hat_basic(_rank_normalize(halves))
    flat = sorted(v for c in equal for v in c)
    middle = len(flat) // 2
    median = flat[middle] if len(flat) % 2 else (flat[middle - 1] + flat[middle]) / 2.0
    folded = _r_hat_basic(_rank_normalize([[abs(v - median) for v in c] for c in halves]))
    if math.isnan(bulk) or math.isnan(folded):
        return math.nan
    return max(bulk, folded)


def _autocovariance(chain: Sequence[float], mean: float, lag: int) -> float:
    n = len(chain)
    return math.fsum((chain[i] - mean) * (chain[i + lag] - mean) for i in range(n - lag)) / n


def _fft(values: list[complex], *, invert: bool = False) -> list[complex]:
    """Radix-2 Cooley-Tukey FFT of a power-of-two length (unnormalized both ways)."""
    n = len(values)
    a = list(values)
    j = 0
    for i in range(1, n):
        bit = n >> 1
        while j & bit:
            j ^= bit
            bit >>= 1
        j |= bit
        if i < j:
            a[i], a[j] = a[j], a[i]
    length = 2
    sign = 1.0 if invert else -1.0
    while length <= n:
        half = length // 2
        turns = [cmath.rect(1.0, sign * 2.0 * math.pi * k / length) for k in range(half)]
        for start in range(0, n, length):
            for k in range(half):
                u = a[start + k]
                v = a[start + k + half] * turns[k]
                a[start + k] = u + v
                a[start + k + half] = u - v
        length *= 2
    return a


def _autocovariances(chain: Sequence[float], mean: float) -> list[float]:
    """Every lag's autocovariance (divided by ``n``) by the FFT, in O(n log n).

    Wiener-Khinchin: the inverse transform of the power spectrum of the
    centred chain, zero-padded to at least ``2n`` so no lag wraps around.
    """
    n = len(chain)
    size = 1
    while size < 2 * n:
        size *= 2
    padded = [complex(v - mean) for v in chain] + [0j] * (size - n)
    spectrum = _fft(padded)
    power = [complex(abs(z) ** 2) for z in spectrum]
    return [z.real / (size * n) for z in _fft(power, invert=True)[:n]]


def ess_geyer(chains: Sequence[Sequence[float]]) -> float:
    """Effective sample size of equal-length chains, without rank normalization.

    The multi-chain autocorrelation ``rho_t = 1 - (W - mean_m acov_m(t)) / var+``
    (Vehtari et al. 2021, eq. 10; BDA3 section 11.5) summed in pairs
    ``P_k = rho_2k + rho_2k+1`` while positive, each pair capped by the
    previous one (Geyer's initial monotone sequence); capped at
    ``S log10(S)`` as Stan caps it. NaN without spread.
    """
    m = len(chains)
    n = min(len(c) for c in chains)
    equal = [list(c[:n]) for c in chains]
    means = [math.fsum(c) / n for c in equal]
    variances = [
        _autocovariance(c, mu, 0) * n / (n - 1) for c, mu in zip(equal, means, strict=True)
    ]
    within = math.fsum(variances) / m
    var_plus = within * (n - 1) / n
    if m > 1:
        grand = math.fsum(means) / m
        var_plus += math.fsum((mu - grand) ** 2 for mu in means) / (m - 1)
    if not var_plus > 0:
        return math.nan

    full: list[list[float]] = []

    def rho(lag: int) -> float:
        # The first lags directly (a chain that mixes well stops within them), the
        # rest from every lag at once by the FFT: a stuck chain costs O(n log n), not O(n^2).
        if lag < _DIRECT_LAGS:
            parts = [_autocovariance(c, mu, lag) for c, mu in zip(equal, means, strict=True)]
        else:
            if not full:
                full.extend(_autocovariances(c, mu) for c, mu in zip(equal, means, strict=True))
            parts = [acov[lag] for acov in full]
        return 1.0 - (within - math.fsum(parts) / m) / var_plus

    total = 0.0
    previous = math.inf
    lag = 0
    while lag + 1 < n:
        pair = rho(lag) + rho(lag + 1)
        if pair <= 0:
            break
        pair = min(pair, previous)
        total += pair
        previous = pair
        lag += 2
    tau = max(-1.0 + 2.0 * total, 1.0 / math.log10(max(m * n, 10)))
    return m * n / tau


def effective_sample_size(chains: Sequence[Sequence[float]]) -> float:
    """Bulk effective sample size: :func:`ess_geyer` of the rank-normalized split chains.

    Vehtari et al. (2021), section 3.2. NaN with fewer than 4 draws per chain.
    """
    if not chains or min(len(c) for c in chains) < 4:
        return math.nan
    length = min(len(c) for c in chains)
    return ess_geyer(_rank_normalize(_split([list(c[:length]) for c in chains])))


def _quantile(ordered: Sequence[float], probability: float) -> float:
    """Linear interpolation between order statistics (Hyndman & Fan 1996, type 7)."""
    position = probability * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def interval_of(values: Sequence[float], level: float) -> Interval:
    """Mean, standard deviation and the equal-tailed ``level`` interval of draws."""
    n = len(values)
    mean = math.fsum(values) / n
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    ordered = sorted(values)
    tail = (1.0 - level) / 2.0
    return Interval(mean, sd, _quantile(ordered, tail), _quantile(ordered, 1.0 - tail), level)
