#!/usr/bin/env python3
"""Times SSSD's own PyTorch SSSDS4Imputer on the CPU: one training step
(forward, masked MSE, backward, Adam) and one reverse step of its sampling()
loop, with the configuration of our `small` preset, so that
bench_train_step and bench_generate can be read beside it (bench/README.md).

Usage: bench-pytorch-sssd.py --sssd DIR [--threads 2] [--batch 32] [--length 200]
                             [--iters 10] [--warmup 3] [--sample-steps 10]

DIR is a checkout of AI4HealthUOL/SSSD (the directory that holds src/). Its
modules run unmodified except for what cannot run without a GPU: the step
embedding and sampling() move tensors to CUDA, so the embedding is rebuilt
on the CPU with the same formula and sampling()'s loop body is repeated here
(same arithmetic). Without its CUDA Cauchy extension or pykeops, SSSD's S4
falls back to a Cauchy sum over the stored modes: that is what a CPU user of
SSSD runs, so it is what is timed.

Debian's python3-torch loads the slow reference BLAS unless an optimised one
comes first: run with LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp
(package libopenblas0-openmp).
"""
import argparse
import os
import resource
import sys
import time

import numpy as np
import torch

from sssd_source import add_sssd_to_path


def import_sssd(root):
    add_sssd_to_path(root)
    import imputers.SSSDS4Imputer as SI

    def step_embedding(steps, dim):  # SSSD's formula, on the CPU
        half = dim // 2
        scale = np.log(10000) / (half - 1)
        freq = torch.exp(torch.arange(half, dtype=torch.float32) * -scale)
        arg = steps.float() * freq
        return torch.cat((torch.sin(arg), torch.cos(arg)), 1)
    SI.calc_diffusion_step_embedding = step_embedding
    return SI


def schedule(T=200, beta_0=1e-4, beta_T=0.02):
    beta = torch.linspace(beta_0, beta_T, T)
    alpha = 1 - beta
    abar = torch.cumprod(alpha, 0)
    sigma = beta.clone()
    sigma[1:] = beta[1:] * (1 - abar[:-1]) / (1 - abar[1:])
    return alpha, abar, torch.sqrt(sigma)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sssd", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--length", type=int, default=200)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--sample-steps", type=int, default=10)
    ap.add_argument("--flush-denormal", action="store_true",
                    help="flush denormal floats to zero, as our CPU backend does (torch.set_flush_denormal)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.flush_denormal and not torch.set_flush_denormal(True):
        sys.exit("bench-pytorch-sssd: this CPU cannot flush denormals")
    torch.manual_seed(0)
    SI = import_sssd(a.sssd)
    # The `small` preset: 128 residual and skip channels, 4 layers, d_state 64,
    # bidirectional S4 with layer norm, SSSD's embedding widths, T = 200.
    net = SI.SSSDS4Imputer(1, 128, 128, 1, 4, 128, 512, 512, a.length, 64, 0.0, 1, 1)
    opt = torch.optim.Adam(net.parameters(), lr=2e-4)
    alpha, abar, sigma = schedule()
    B, L, T = a.batch, a.length, 200
    x0 = torch.randint(1, 30, (B, 1, L)).float()
    mask = torch.ones(B, 1, L)
    mask[:, :, 100:110] = 0  # mid:10
    loss_mask = mask == 0
    blas = os.environ.get("LD_LIBRARY_PATH", "") or "the system default BLAS"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, LD_LIBRARY_PATH {blas}; "
          f"{sum(p.numel() for p in net.parameters()) / 1e6:.2f}M parameters, batch {B}, L {L}")

    def train_step():
        t = torch.randint(T, (B, 1, 1))
        z = torch.randn(B, 1, L) * (1 - mask) + x0 * mask  # SSSD's only_generate_missing
        xt = torch.sqrt(abar[t]) * x0 + torch.sqrt(1 - abar[t]) * z
        cond = x0 * mask
        eps = net((xt, cond, mask, t.view(B, 1)))
        loss = torch.nn.functional.mse_loss(eps[loss_mask], z[loss_mask])
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        train_step()
    times = []
    for _ in range(a.iters):
        t0 = time.perf_counter()
        train_step()
        times.append(time.perf_counter() - t0)
    times.sort()
    print(f"train step: median {1000 * times[len(times) // 2]:.1f} ms, min {1000 * times[0]:.1f} ms "
          f"over {a.iters} steps; peak RSS {peak_rss_mb():.0f} MB")

    # One reverse step of sampling(), as its loop body does it.
    net.eval()
    x = torch.randn(B, 1, L)
    cond = x0 * mask
    with torch.no_grad():
        steps = []
        for i in range(a.sample_steps + 1):
            t = T - 1 - i
            t0 = time.perf_counter()
            x = x * (1 - mask) + cond * mask
            e = net((x, cond, mask, t * torch.ones((B, 1))))
            x = (x - (1 - alpha[t]) / torch.sqrt(1 - abar[t]) * e) / torch.sqrt(alpha[t])
            x = x + sigma[t] * torch.randn(B, 1, L)
            if i > 0:  # the first is warm-up
                steps.append(time.perf_counter() - t0)
    steps.sort()
    med = steps[len(steps) // 2]
    print(f"sampling: median {1000 * med:.1f} ms per reverse step on {B} windows "
          f"(DDPM-200 for 500 windows: about {med * 200 * 500 / B:.0f} s)")


if __name__ == "__main__":
    main()
