import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Batch normalisation (nn.BatchNorm2d) in training mode: batch statistics."""

    def __init__(self, num_features: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(num_features=num_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(x)


batch_size = 16
features = 64
dim1 = 256
dim2 = 256


def get_inputs():
    # kbench scales and shifts each (sample, channel) slice by its own a ~ U(0.5, 2) and
    # b ~ U(-1, 1): with plain standard normals every channel has the same statistics.
    x = torch.randn(batch_size, features, dim1, dim2)
    a = torch.empty(batch_size, features, 1, 1).uniform_(0.5, 2.0)
    b = torch.empty(batch_size, features, 1, 1).uniform_(-1.0, 1.0)
    return [x * a + b]


def get_init_inputs():
    return [features]
