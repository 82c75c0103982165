import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Nearest-neighbour 4x upsampling."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=scale, mode="nearest")


batch_size = 16
channels = 128
height = 32
width = 32
scale = 4


def get_inputs():
    x = torch.randn(batch_size, channels, height, width)
    return [x]


def get_init_inputs():
    return []
