import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Mean squared error between predictions and targets, a scalar."""

    def __init__(self):
        super().__init__()

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return torch.mean((predictions - targets) ** 2)


batch_size = 128
dim = 4096
input_shape = (dim,)


def get_inputs():
    # kbench scales each tensor by s ~ U(0.5, 2): with standard normals the loss is always
    # about 2, and a constant 2.0 would pass.
    scale = lambda: torch.empty(()).uniform_(0.5, 2.0)
    return [
        torch.randn(batch_size, *input_shape) * scale(),
        torch.randn(batch_size, *input_shape) * scale(),
    ]


def get_init_inputs():
    return []
