"""The loop's optimizer: fused AdamW where the parameters allow it, with the arithmetic of plain AdamW."""

import torch

from headstart.training.loop import make_optimizer


def _params(seed: int) -> list[torch.nn.Parameter]:
    generator = torch.Generator().manual_seed(seed)
    return [torch.nn.Parameter(torch.randn(5, 3, generator=generator)), torch.nn.Parameter(torch.randn(3, generator=generator))]


def test_fused_adamw_on_cpu_matches_plain_adamw():
    fused_params, plain_params = _params(0), _params(0)
    groups = [{"params": fused_params[:1], "lr": 1e-2, "weight_decay": 0.01}, {"params": fused_params[1:], "lr": 1e-3, "weight_decay": 0.0}]
    fused = make_optimizer(groups)
    plain = torch.optim.AdamW([{"params": plain_params[:1], "lr": 1e-2, "weight_decay": 0.01}, {"params": plain_params[1:], "lr": 1e-3, "weight_decay": 0.0}], foreach=False)
    assert fused.defaults["fused"] is True
    for step in range(3):
        for params, optimizer in ((fused_params, fused), (plain_params, plain)):
            loss = sum((p * (step + 1)).sin().sum() for p in params)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    for a, b in zip(fused_params, plain_params):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert not torch.equal(fused_params[0], _params(0)[0])  # it did train


def test_parameters_the_fused_kernel_cannot_take_get_plain_adamw():
    # An empty group is fine; a parameter on another device (here 'meta') makes the whole optimizer non-fused.
    assert make_optimizer([{"params": [torch.nn.Parameter(torch.zeros(2))]}, {"params": []}]).defaults["fused"] is True
    mixed = make_optimizer([{"params": [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2, device="meta"))]}])
    assert not mixed.defaults["fused"]


def test_accelerator_after_another_library_fixed_another_precision():
    # Found on a GPU: setfit's Trainer (fp32) ran first in the process, then headstart's bf16 run was refused by
    # accelerate ("AcceleratorState has already been initialized and cannot be changed").
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    from headstart.training.loop import make_accelerator

    AcceleratorState._reset_state()  # whatever earlier tests left: now "another library" fixes bf16
    Accelerator(mixed_precision="bf16")
    assert make_accelerator("no").mixed_precision == "no"
    assert make_accelerator("bf16").mixed_precision == "bf16"
