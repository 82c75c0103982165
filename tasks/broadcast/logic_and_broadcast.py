import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Logical AND of two boolean tensors, b broadcast over a."""

    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a & b


batch_size = 128
rows = 512
cols = 1024


def get_inputs():
    a = torch.randint(0, 2, (batch_size, rows, cols)).bool()
    b = torch.randint(0, 2, (1, rows, 1)).bool()
    return [a, b]


def get_init_inputs():
    return []
