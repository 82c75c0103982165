import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """x.index_copy(0, indices, src), out of place: rows of src copied into the rows of x
    that indices name."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, indices: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        return x.index_copy(0, indices, src)


num_rows = 8192
dim = 1024
num_indices = 2048


def get_inputs():
    x = torch.zeros(num_rows, dim)
    # Distinct indices (a prefix of a random permutation): with duplicates the row that
    # wins is not defined.
    indices = torch.randperm(num_rows)[:num_indices]
    src = torch.randn(num_indices, dim)
    return [x, indices, src]


def get_init_inputs():
    return []
