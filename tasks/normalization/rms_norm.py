import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """RMS normalisation over the channel dimension, without a weight."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.num_features = num_features
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rms = torch.sqrt(torch.mean(x**2, dim=1, keepdim=True) + self.eps)
        return x / rms


batch_size = 16
features = 64
dim1 = 256
dim2 = 256


def get_inputs():
    # kbench scales and shifts each (sample, channel) slice by its own a ~ U(0.5, 2) and
    # b ~ U(-1, 1): with plain standard normals the RMS over channels is nearly 1.
    x = torch.randn(batch_size, features, dim1, dim2)
    a = torch.empty(batch_size, features, 1, 1).uniform_(0.5, 2.0)
    b = torch.empty(batch_size, features, 1, 1).uniform_(-1.0, 1.0)
    return [x * a + b]


def get_init_inputs():
    return [features]
