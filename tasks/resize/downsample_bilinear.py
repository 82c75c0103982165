import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Bilinear downsampling to a fixed size (align_corners=False, no antialiasing)."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=(out_height, out_width), mode="bilinear", align_corners=False)


batch_size = 4
channels = 128
height = 240
width = 320
out_height = 60
out_width = 80


def get_inputs():
    x = torch.randn(batch_size, channels, height, width)
    return [x]


def get_init_inputs():
    return []
