import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Running mean along dimension 1: y[:, j] = mean(x[:, :j + 1])."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        counts = torch.arange(1, x.size(1) + 1, dtype=x.dtype, device=x.device)
        return torch.cumsum(x, dim=1) / counts


batch_size = 32
length = 2000


def get_inputs():
    return [torch.randn(batch_size, length)]


def get_init_inputs():
    return []
