import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Bilinear 2x upsampling, then an affine warp (affine_grid + bilinear grid_sample)."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        x_up = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        grid = F.affine_grid(theta, x_up.size(), align_corners=False)
        return F.grid_sample(x_up, grid, mode="bilinear", align_corners=False)


batch_size = 2
channels = 64
height = 64
width = 64


def get_inputs():
    x = torch.randn(batch_size, channels, height, width)
    # The identity transform for every batch.
    theta = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]] * batch_size)
    return [x, theta]


def get_init_inputs():
    return []
