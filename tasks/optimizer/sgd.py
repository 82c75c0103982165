import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """One SGD-with-momentum update step; returns the updated parameter.

    velocity = momentum * velocity + grad
    param = param - lr * velocity
    """

    def __init__(self, momentum: float = 0.9, lr: float = 1e-2):
        super().__init__()
        self.momentum = momentum
        self.lr = lr

    def forward(self, param: torch.Tensor, grad: torch.Tensor, velocity: torch.Tensor) -> torch.Tensor:
        velocity = self.momentum * velocity + grad
        return param - self.lr * velocity


rows = 1024
cols = 4096


def get_inputs():
    param = torch.randn(rows, cols)
    grad = torch.randn(rows, cols)
    velocity = torch.zeros(rows, cols)
    return [param, grad, velocity]


def get_init_inputs():
    return []
