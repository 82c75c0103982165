import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """x.index_add(0, indices, values), out of place: rows of values added into the rows
    of x that indices name (duplicate indices accumulate)."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, indices: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        return x.index_add(0, indices, values)


num_rows = 1024
dim = 4096
num_indices = 8192


def get_inputs():
    x = torch.zeros(num_rows, dim)
    indices = torch.randint(0, num_rows, (num_indices,), dtype=torch.int64)
    values = torch.randn(num_indices, dim)
    return [x, indices, values]


def get_init_inputs():
    return []
