import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Clamps x between per-column lower and upper bounds."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, min_val: torch.Tensor, max_val: torch.Tensor) -> torch.Tensor:
        return torch.clamp(x, min=min_val, max=max_val)


batch_size = 256
dim = 2048


def get_inputs():
    x = torch.randn(batch_size, dim) * 5
    min_val = torch.full((dim,), -2.0)
    max_val = torch.full((dim,), 2.0)
    return [x, min_val, max_val]


def get_init_inputs():
    return []
