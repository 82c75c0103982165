import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """x.scatter_add(1, idx, updates), out of place: updates summed along dimension 1
    into the columns idx names (duplicates accumulate)."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, idx: torch.Tensor, updates: torch.Tensor) -> torch.Tensor:
        return x.scatter_add(1, idx, updates)


batch_size = 32
dim = 4096
num_indices = 1024


def get_inputs():
    x = torch.zeros(batch_size, dim)
    idx = torch.randint(0, dim, (batch_size, num_indices), dtype=torch.int64)
    updates = torch.randn(batch_size, num_indices)
    return [x, idx, updates]


def get_init_inputs():
    return []
