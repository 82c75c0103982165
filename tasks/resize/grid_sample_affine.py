import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Affine warp: F.affine_grid of theta, then bilinear F.grid_sample (zero padding)."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        grid = F.affine_grid(theta, x.size(), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", align_corners=False)


batch_size = 8
channels = 64
height = 128
width = 128


def get_inputs():
    x = torch.randn(batch_size, channels, height, width)
    # A 30-degree rotation, the same for every batch.
    theta = torch.tensor([[[0.866, -0.5, 0.0], [0.5, 0.866, 0.0]]] * batch_size)
    return [x, theta]


def get_init_inputs():
    return []
