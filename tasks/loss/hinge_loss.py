import torch
import torch.nn as nn


class Model(nn.Module):
    """Hinge loss mean(clamp(1 - predictions * targets, min=0)) with targets in {-1, +1}, a scalar."""

    def __init__(self):
        super().__init__()

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return torch.mean(torch.clamp(1 - predictions * targets, min=0))


batch_size = 128
dim = 1
input_shape = (dim,)
# targets are (batch_size, 1) when 2, (batch_size,) when 1: the latter broadcasts against
# the last dimension of predictions (which then needs dim == batch_size).
targets_rank = 2


def get_inputs():
    # kbench scales the predictions by s ~ U(0.5, 2): with standard normals the loss is
    # always about 1.08 at large sizes, and a constant would pass.
    scale = torch.empty(()).uniform_(0.5, 2.0)
    return [
        torch.randn(batch_size, *input_shape) * scale,
        torch.randint(0, 2, (batch_size, 1)[:targets_rank]).float() * 2 - 1,
    ]


def get_init_inputs():
    return []
