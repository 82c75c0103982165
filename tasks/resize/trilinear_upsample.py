import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Trilinear 2x upsampling of a volume (align_corners=True)."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=(scale, scale, scale), mode="trilinear", align_corners=True)


batch_size = 2
channels = 16
depth = 32
height = 32
width = 32
scale = 2


def get_inputs():
    x = torch.randn(batch_size, channels, depth, height, width)
    return [x]


def get_init_inputs():
    return []
