import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """One Adam update step; returns the updated parameter.

    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    param = param - lr * (m / (1 - beta1 ** step)) / (sqrt(v / (1 - beta2 ** step)) + eps)
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, step: int = 1):
        super().__init__()
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.step = step

    def forward(self, param: torch.Tensor, grad: torch.Tensor, m: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        m = self.beta1 * m + (1 - self.beta1) * grad
        v = self.beta2 * v + (1 - self.beta2) * grad * grad
        m_hat = m / (1 - self.beta1 ** self.step)
        v_hat = v / (1 - self.beta2 ** self.step)
        return param - self.lr * m_hat / (torch.sqrt(v_hat) + self.eps)


rows = 512
cols = 2048


def get_inputs():
    param = torch.randn(rows, cols)
    grad = torch.randn(rows, cols)
    m = torch.zeros(rows, cols)
    v = torch.zeros(rows, cols)
    return [param, grad, m, v]


def get_init_inputs():
    return []
