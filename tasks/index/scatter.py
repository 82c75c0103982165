import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """x.scatter(1, idx, updates), out of place: updates written along dimension 1 at
    the columns idx names."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, idx: torch.Tensor, updates: torch.Tensor) -> torch.Tensor:
        return x.scatter(1, idx, updates)


batch_size = 64
dim = 8192
num_indices = 4096


def get_inputs():
    x = torch.zeros(batch_size, dim)
    # Distinct indices within each row (a prefix of a random permutation): with
    # duplicates the value that wins is not defined.
    idx = torch.stack([torch.randperm(dim)[:num_indices] for _ in range(batch_size)])
    updates = torch.randn(batch_size, num_indices)
    return [x, idx, updates]


def get_init_inputs():
    return []
