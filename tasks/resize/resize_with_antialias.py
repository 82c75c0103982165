import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Antialiased bilinear downsampling to a fixed size (align_corners=False)."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(
            x, size=(out_height, out_width), mode="bilinear", align_corners=False, antialias=True
        )


batch_size = 8
channels = 3
height = 256
width = 256
out_height = 128
out_width = 128


def get_inputs():
    x = torch.randn(batch_size, channels, height, width)
    return [x]


def get_init_inputs():
    return []
