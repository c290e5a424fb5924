"""Puts a checkout of SSSD (AI4HealthUOL/SSSD) on the import path, for the
scripts that run its own code: make-parity-fixture.py and
bench-pytorch-sssd.py.

SSSD's S4Model.py imports logging and experiment-tracking packages (wandb,
tqdm, pytorch_lightning) that the imputer never uses; where they are not
installed, empty stand-ins take their place, so that they are not
prerequisites."""
import os
import sys
import types


def add_sssd_to_path(root):
    src = os.path.join(root, "src")
    if not os.path.isfile(os.path.join(src, "imputers", "SSSDS4Imputer.py")):
        sys.exit(f"{root}: no src/imputers/SSSDS4Imputer.py (expected a checkout of AI4HealthUOL/SSSD)")
    sys.path.insert(0, src)
    for name in ("wandb", "tqdm", "pytorch_lightning", "pytorch_lightning.utilities"):
        try:
            __import__(name)
        except ImportError:
            mod = types.ModuleType(name)
            mod.tqdm = lambda x, *a, **k: x
            mod.rank_zero_only = lambda f: f
            sys.modules[name] = mod
    if "pytorch_lightning" in sys.modules and "pytorch_lightning.utilities" in sys.modules:
        sys.modules["pytorch_lightning"].utilities = sys.modules["pytorch_lightning.utilities"]
