import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Divides x [B, C, H, W] by a per-channel scale [C, 1, 1]."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        return x / scale


batch_size = 8
channels = 3
height = 32
width = 128


def get_inputs():
    x = torch.randn(batch_size, channels, height, width)
    scale = torch.randn(channels, 1, 1)
    return [x, scale]


def get_init_inputs():
    return []
