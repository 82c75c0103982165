import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Bilinear F.grid_sample of x at an arbitrary grid (zero padding, align_corners=False)."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
        return F.grid_sample(x, grid, mode="bilinear", align_corners=False)


batch_size = 4
channels = 3
height = 256
width = 256


def get_inputs():
    x = torch.randn(batch_size, channels, height, width)
    # A randomly warped grid: the identity affine grid plus small normal noise.
    identity = torch.eye(2, 3).unsqueeze(0).repeat(batch_size, 1, 1)
    base = F.affine_grid(identity, size=x.size(), align_corners=False)
    grid = base + torch.randn_like(base) * 0.05
    return [x, grid]


def get_init_inputs():
    return []
