import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Reverse cumulative sum along `dim`: element j is the sum of the elements from j on."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumsum(x.flip(self.dim), dim=self.dim).flip(self.dim)


batch_size = 128
length = 4000
input_shape = (length,)
dim = 1


def get_inputs():
    x = torch.randn(batch_size, *input_shape)
    return [x]


def get_init_inputs():
    return [dim]
