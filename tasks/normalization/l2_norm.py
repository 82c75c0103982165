import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Divides each row by its Euclidean norm (L2 normalisation)."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x / torch.norm(x, p=2, dim=1, keepdim=True)


batch_size = 16
dim = 16384


def get_inputs():
    # kbench scales and shifts each row by its own a ~ U(0.5, 2) and b ~ U(-1, 1): with
    # plain standard normals every row has nearly the same norm.
    x = torch.randn(batch_size, dim)
    a = torch.empty(batch_size, 1).uniform_(0.5, 2.0)
    b = torch.empty(batch_size, 1).uniform_(-1.0, 1.0)
    return [x * a + b]


def get_init_inputs():
    return []
