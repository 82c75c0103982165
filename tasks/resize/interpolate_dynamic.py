import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Bilinear resize to a target size given at construction (align_corners=False)."""

    def __init__(self, target_size):
        super().__init__()
        self.target_size = tuple(target_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=self.target_size, mode="bilinear", align_corners=False)


batch_size = 4
channels = 128
height = 100
width = 150
out_height = 200
out_width = 300


def get_inputs():
    x = torch.randn(batch_size, channels, height, width)
    return [x]


def get_init_inputs():
    # The original passes target_size to forward; kernels receive tensors only.
    return [(out_height, out_width)]
