import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """A Linear layer, tanh, then a scale by 0.5."""

    def __init__(self, in_features: int, out_features: int, scale: float):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.linear(x)) * self.scale


batch_size = 64
in_features = 256
out_features = 128
scale = 0.5


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features, scale]
