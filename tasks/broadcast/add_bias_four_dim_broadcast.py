import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Adds a per-channel bias to an NCHW tensor."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return x + bias.view(1, -1, 1, 1)


batch_size = 8
channels = 512
height = 32
width = 32


def get_inputs():
    x = torch.randn(batch_size, channels, height, width)
    bias = torch.randn(channels)
    return [x, bias]


def get_init_inputs():
    return []
