import torch
import torch.nn as nn


class Model(nn.Module):
    """tril(A @ B) for lower-triangular A and B."""

    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        return torch.tril(torch.matmul(A, B))


M = 4096


def get_inputs():
    A = torch.randn(M, M)
    A = torch.tril(A)  # lower-triangular
    B = torch.randn(M, M)
    B = torch.tril(B)  # lower-triangular
    return [A, B]


def get_init_inputs():
    return []
