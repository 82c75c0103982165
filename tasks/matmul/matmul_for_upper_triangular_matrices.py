import torch
import torch.nn as nn


class Model(nn.Module):
    """triu(A @ B) for upper-triangular A and B."""

    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        return torch.triu(torch.matmul(A, B))


N = 4096


def get_inputs():
    A = torch.randn(N, N)
    A = torch.triu(A)  # upper-triangular
    B = torch.randn(N, N)
    B = torch.triu(B)  # upper-triangular
    return [A, B]


def get_init_inputs():
    return []
