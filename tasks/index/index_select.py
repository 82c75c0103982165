import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """torch.index_select(x, dim=1, indices): the columns of x that indices name."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
        return torch.index_select(x, 1, indices)


batch_size = 256
dim = 8192
num_indices = 2048


def get_inputs():
    x = torch.randn(batch_size, dim)
    indices = torch.randint(0, dim, (num_indices,), dtype=torch.int64)
    return [x, indices]


def get_init_inputs():
    return []
