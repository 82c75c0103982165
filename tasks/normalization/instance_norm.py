import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Instance normalisation (nn.InstanceNorm2d, no affine parameters)."""

    def __init__(self, num_features: int):
        super().__init__()
        self.inorm = nn.InstanceNorm2d(num_features=num_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inorm(x)


batch_size = 16
features = 64
dim1 = 256
dim2 = 256


def get_inputs():
    # kbench scales and shifts each (sample, channel) slice by its own a ~ U(0.5, 2) and
    # b ~ U(-1, 1): standard normals are already nearly normalised, so a copy of x passed.
    x = torch.randn(batch_size, features, dim1, dim2)
    a = torch.empty(batch_size, features, 1, 1).uniform_(0.5, 2.0)
    b = torch.empty(batch_size, features, 1, 1).uniform_(-1.0, 1.0)
    return [x * a + b]


def get_init_inputs():
    return [features]
