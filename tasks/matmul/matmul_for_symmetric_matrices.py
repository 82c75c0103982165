import torch
import torch.nn as nn


class Model(nn.Module):
    """A matrix multiplication of two symmetric matrices, C = A @ B."""

    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        return torch.matmul(A, B)


N = 4096


def get_inputs():
    A = torch.randn(N, N)
    A = (A + A.T) / 2  # symmetric
    B = torch.randn(N, N)
    B = (B + B.T) / 2  # symmetric
    return [A, B]


def get_init_inputs():
    return []
