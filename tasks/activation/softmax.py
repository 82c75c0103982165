import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Applies Softmax along dimension 1."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(x, dim=1)


batch_size = 16
dim = 16384


def get_inputs():
    # kbench draws x ~ N(0, 10^2): at N(0, 1) all zeros would pass the tolerance.
    x = torch.randn(batch_size, dim) * 10
    return [x]


def get_init_inputs():
    return []
