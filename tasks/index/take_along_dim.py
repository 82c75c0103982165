import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """torch.take_along_dim(x, idx, dim=1): values of x along dimension 1 at idx."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        return torch.take_along_dim(x, idx, dim=1)


batch_size = 128
dim = 8192
num_indices = 4096


def get_inputs():
    x = torch.randn(batch_size, dim)
    idx = torch.randint(0, dim, (batch_size, num_indices), dtype=torch.int64)
    return [x, idx]


def get_init_inputs():
    return []
