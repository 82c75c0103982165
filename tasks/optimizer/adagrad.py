import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """One Adagrad update step; returns the updated parameter.

    accum = accum + grad ** 2
    param = param - lr * grad / (sqrt(accum) + eps)
    """

    def __init__(self, lr: float = 1e-2, eps: float = 1e-10):
        super().__init__()
        self.lr = lr
        self.eps = eps

    def forward(self, param: torch.Tensor, grad: torch.Tensor, accum: torch.Tensor) -> torch.Tensor:
        accum = accum + grad.pow(2)
        return param - self.lr * grad / (accum.sqrt() + self.eps)


rows = 1024
cols = 4096


def get_inputs():
    param = torch.randn(rows, cols)
    grad = torch.randn(rows, cols)
    accum = torch.zeros(rows, cols)
    return [param, grad, accum]


def get_init_inputs():
    return []
