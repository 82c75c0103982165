import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """x.masked_fill(mask, -1e9): masked positions set to a large negative value."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return x.masked_fill(mask, -1e9)


batch_size = 64
seq_len = 512
dim = 512


def get_inputs():
    x = torch.randn(batch_size, seq_len, dim)
    mask = torch.randint(0, 2, (batch_size, seq_len, dim)).bool()
    return [x, mask]


def get_init_inputs():
    return []
