import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """One Lion update step; returns the updated parameter.

    c = beta1 * m + (1 - beta1) * grad
    param = param - lr * (sign(c) + weight_decay * param)
    """

    def __init__(self, lr: float = 1e-2, beta1: float = 0.9, weight_decay: float = 0.1):
        super().__init__()
        self.lr = lr
        self.beta1 = beta1
        self.weight_decay = weight_decay

    def forward(self, param: torch.Tensor, grad: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        c = self.beta1 * m + (1 - self.beta1) * grad
        return param - self.lr * (torch.sign(c) + self.weight_decay * param)


rows = 256
cols = 1024


def get_inputs():
    return [torch.randn(rows, cols), torch.randn(rows, cols), torch.randn(rows, cols) * 0.1]


def get_init_inputs():
    return []
