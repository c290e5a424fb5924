#!/usr/bin/env python3
"""Regenerates the PyTorch parity fixture (tests/model/fixtures/parity_*.h5):
a small SSSD-S4 checkpoint, inputs for `forward`, and the output and parameter
gradients that SSSD's own SSSDS4Imputer computes from them in float64.

Only needed to regenerate the fixture; the test (forward_parity) reads the
committed files and needs no Python. See model/FORWARD.md.

Usage: make-parity-fixture.py --sssd DIR [--sssd-commit SHA] [--out DIR] [--seed S]

DIR is a checkout of AI4HealthUOL/SSSD (the directory that holds src/); its
modules are imported from there, unmodified. Needs torch, h5py, numpy, scipy,
einops and opt_einsum (Debian: python3-torch python3-h5py python3-numpy
python3-scipy; einops and opt_einsum from PyPI).
"""
import argparse
import json
import os
import subprocess
import sys

import h5py
import numpy as np
import torch

from sssd_source import add_sssd_to_path

# The network: SSSD's architecture with every dimension small so that the
# committed files stay around 200 KB; two blocks so that the residual chain
# between blocks is exercised; skip != res and distinct embedding widths so
# that a transposed or mixed-up tensor cannot pass. in_channels = 1 is SSSD's
# own setting; it makes init_conv's weight-normalised kernel one element per
# output channel, so that its weight_v gradient is zero (the test compares it
# in absolute terms). The tools' presets are too large for a committed file,
# so the checkpoint is written here, frozen S4 buffers as SSSD initialises them.
CONFIG = dict(in_channels=1, out_channels=1, res_channels=8, skip_channels=12, num_res_layers=2,
              s4_d_state=32, s4_lmax=24, s4_bidirectional=1, s4_layernorm=1,
              emb_in=16, emb_mid=24, emb_out=20, T=200, beta_0=1e-4, beta_T=0.02, dt_min=1e-3, dt_max=1e-1)
BATCH = 2
STEPS = [0, 157]          # the first diffusion step and a late one
INT_FIELDS = {"in_channels", "out_channels", "res_channels", "skip_channels", "num_res_layers", "s4_d_state",
              "s4_lmax", "s4_bidirectional", "s4_layernorm", "emb_in", "emb_mid", "emb_out", "T"}


def import_sssd(root):
    """Imports SSSD's S4Model and SSSDS4Imputer from root/src, patched at
    import time so that they run on a CPU in float64 and compute the same
    S4 kernel as SSSD's CUDA extension."""
    add_sssd_to_path(root)
    import imputers.S4Model as S4M
    import imputers.SSSDS4Imputer as SI

    # Without the CUDA extension or pykeops, S4Model falls back to a Cauchy
    # sum over the N/2 stored modes only; the extension and pykeops add each
    # mode's complex conjugate, which is what makes the kernel real. Use the
    # full sum, in whatever precision the operands have (complex128 here).
    def cauchy_full(v, z, w):
        zz = z.unsqueeze(-2)
        return (v.unsqueeze(-1) / (zz - w.unsqueeze(-1))
                + v.conj().unsqueeze(-1) / (zz - w.conj().unsqueeze(-1))).sum(dim=-2)
    S4M.has_cauchy_extension = False
    S4M.has_pykeops = False
    S4M.cauchy_slow = cauchy_full

    # calc_diffusion_step_embedding moves its table to CUDA and builds it in
    # float32; the same formula on the CPU in float64.
    def step_embedding(steps, dim):
        half = dim // 2
        scale = np.log(10000) / (half - 1)
        freq = torch.exp(torch.arange(half, dtype=torch.float64) * -scale)
        arg = steps.to(torch.float64) * freq
        return torch.cat((torch.sin(arg), torch.cos(arg)), 1)
    SI.calc_diffusion_step_embedding = step_embedding
    return S4M, SI


def grad_of(p):
    """A parameter's gradient; None (it does not reach the output, like the
    last block's res_conv) is an identically zero gradient."""
    return p.grad if p.grad is not None else torch.zeros_like(p)


def build_net(SI, c):
    return SI.SSSDS4Imputer(c["in_channels"], c["res_channels"], c["skip_channels"], c["out_channels"],
                            c["num_res_layers"], c["emb_in"], c["emb_mid"], c["emb_out"], c["s4_lmax"],
                            c["s4_d_state"], 0.0, c["s4_bidirectional"], c["s4_layernorm"])


def fft_nodes(L):
    """SSSD's cached FFT nodes, computed directly in double (its own
    omega ** k loop accumulates rounding; the C code uses cos/sin)."""
    omega = np.exp(-2j * np.pi * np.arange(L // 2 + 1) / L)
    z = 2 * (1 - omega) / (1 + omega)
    return (torch.view_as_real(torch.from_numpy(omega)).clone(), torch.view_as_real(torch.from_numpy(z)).clone())


def new_file(path):
    """An HDF5 file in the 1.10 format our tools read, without modification
    times, so that regenerating the fixture reproduces it byte for byte."""
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_V110, h5py.h5f.LIBVER_V110)
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_obj_track_times(False)
    return h5py.File(h5py.h5f.create(os.fsencode(path), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl))


def put(f, name, data):
    """A dataset at a '/'-separated path, its groups created without times."""
    gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    gcpl.set_obj_track_times(False)
    g = f
    for part in name.split("/")[:-1]:
        g = g[part] if part in g else h5py.Group(h5py.h5g.create(g.id, part.encode(), gcpl=gcpl))
    g.create_dataset(name.split("/")[-1], data=data, track_times=False)


def write_checkpoint(path, state, c, note):
    """Our checkpoint format (model/checkpoint.h): float32 tensors under the
    state_dict names with '.' -> '/', the configuration as attributes."""
    with new_file(path) as f:
        for k, v in state.items():
            put(f, k.replace(".", "/"), v.numpy().astype(np.float32))
        f.attrs["format"] = "sssd-traces-checkpoint"
        f.attrs["format_version"] = np.int32(1)
        f.attrs["config"] = json.dumps(c)
        for k, v in c.items():
            f.attrs["config_" + k] = np.int32(v) if k in INT_FIELDS else np.float64(v)
        f.attrs["extra_json"] = json.dumps({"created_by": "scripts/make-parity-fixture.py", "note": note})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sssd", required=True, help="checkout of AI4HealthUOL/SSSD (the directory holding src/)")
    ap.add_argument("--sssd-commit", default=None, help="its commit, recorded in the fixture (default: git rev-parse)")
    ap.add_argument("--out", default=os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                                                   "model", "fixtures")),
                    help="where to write parity_ck.h5, parity_in.h5, parity_ref.h5 (default: tests/model/fixtures)")
    ap.add_argument("--seed", type=int, default=20240601)
    a = ap.parse_args()

    commit = a.sssd_commit
    if commit is None:
        try:
            commit = subprocess.run(["git", "-C", a.sssd, "rev-parse", "HEAD"], capture_output=True, text=True,
                                    check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            commit = "unknown"

    torch.set_default_dtype(torch.float64)
    S4M, SI = import_sssd(a.sssd)
    torch.manual_seed(a.seed)
    c = dict(CONFIG)
    L = c["s4_lmax"]
    net = build_net(SI, c).double()

    # A fresh network's output layer is zero (ZeroConv1d): eps would be 0 and
    # every other gradient too. Move every trainable tensor away from its
    # initial value (LayerNorm's ones and zeros included), so that each
    # gradient is generic; S4's C is random already and stays as initialised.
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith(".C"):
                continue
            p.add_(0.1 * torch.randn_like(p))
    # The checkpoint holds float32: the reference is the float64 evaluation
    # of exactly those rounded values, so only `forward`'s own arithmetic is
    # measured.
    state = {k: v.detach().to(torch.float32).to(torch.float64).clone() for k, v in net.state_dict().items()}
    for k in state:
        if k.endswith(".omega") or k.endswith(".z"):
            state[k] = fft_nodes(L)[0 if k.endswith(".omega") else 1]
    net.load_state_dict(state)

    rng = np.random.default_rng(a.seed)
    cin, cout = c["in_channels"], c["out_channels"]
    x0 = rng.integers(1, 10, size=(BATCH, cin, L)).astype(np.float32)
    mask = np.ones((BATCH, cin, L), np.float32)
    mask[0, :, 9:15] = 0       # a gap in the middle
    mask[1, :, L - 5:] = 0     # a forecast at the end
    noisy = rng.standard_normal((BATCH, cin, L)).astype(np.float32)
    cond = np.concatenate([x0 * mask, mask], axis=1)
    t = np.array(STEPS[:BATCH], np.int32)
    dout = rng.standard_normal((BATCH, cout, L)).astype(np.float32)

    tc = torch.from_numpy(cond.astype(np.float64))
    eps = net((torch.from_numpy(noisy.astype(np.float64)), tc[:, :cin], tc[:, cin:],
               torch.from_numpy(t.astype(np.int64)).view(-1, 1)))
    (eps * torch.from_numpy(dout.astype(np.float64))).sum().backward()

    os.makedirs(a.out, exist_ok=True)
    ck = os.path.join(a.out, "parity_ck.h5")
    write_checkpoint(ck, {k: v for k, v in net.state_dict().items()}, c,
                     f"PyTorch parity fixture, SSSD {commit}, seed {a.seed}")
    with new_file(os.path.join(a.out, "parity_in.h5")) as f:
        for k, v in (("noisy", noisy), ("cond", cond), ("t", t), ("dout", dout)):
            put(f, k, v)
    names = [n for n, _ in net.named_parameters()]
    with new_file(os.path.join(a.out, "parity_ref.h5")) as f:
        put(f, "eps", eps.detach().numpy())
        for n, p in net.named_parameters():
            put(f, "grad/" + n.replace(".", "/"), grad_of(p).numpy())
        f.attrs["grad_count"] = np.int32(len(names))
        f.attrs["sssd_commit"] = commit
        f.attrs["torch_version"] = str(torch.__version__)
        f.attrs["seed"] = np.int64(a.seed)
        f.attrs["about"] = ("eps = SSSDS4Imputer(parity_ck.h5)(parity_in.h5) and d sum(eps * dout) / d parameter, "
                            "float64, with the conjugate-including Cauchy sum; made by scripts/make-parity-fixture.py")
    # Gradients that are zero up to double rounding: the test compares them
    # in absolute terms (init_conv's weight_v, one element per output
    # channel, and the last block's res_conv, which does not reach eps).
    zero = [n for n, p in net.named_parameters() if not grad_of(p).abs().max().item() > 1e-12]
    print(f"wrote {a.out}: {len(names)} gradients, max |eps| {eps.abs().max().item():.4g}; "
          f"gradients zero up to rounding: {', '.join(zero) or 'none'}")


if __name__ == "__main__":
    main()
