import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """One RMSprop update step; returns the updated parameter.

    v = alpha * v + (1 - alpha) * grad ** 2
    param = param - lr * grad / (sqrt(v) + eps)
    """

    def __init__(self, lr: float = 1e-3, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__()
        self.lr = lr
        self.alpha = alpha
        self.eps = eps

    def forward(self, param: torch.Tensor, grad: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        v = self.alpha * v + (1 - self.alpha) * grad.pow(2)
        return param - self.lr * grad / (v.sqrt() + self.eps)


rows = 2048
cols = 2048


def get_inputs():
    param = torch.randn(rows, cols)
    grad = torch.randn(rows, cols)
    v = torch.zeros(rows, cols)
    return [param, grad, v]


def get_init_inputs():
    return []
