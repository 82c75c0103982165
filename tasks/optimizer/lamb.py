import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """One LAMB-style update step; returns the updated parameter.

    r = m / (sqrt(v) + eps)
    trust_ratio = ||param||_2 / (||r||_2 + eps)    (norms over the whole tensor)
    param = param - lr * trust_ratio * r
    """

    def __init__(self, lr: float = 1e-3, eps: float = 1e-6):
        super().__init__()
        self.lr = lr
        self.eps = eps

    def forward(self, param: torch.Tensor, m: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        r = m / (v.sqrt() + self.eps)
        trust_ratio = param.norm(p=2) / (r.norm(p=2) + self.eps)
        return param - self.lr * trust_ratio * r


rows = 512
cols = 4096


def get_inputs():
    param = torch.randn(rows, cols)
    m = torch.randn(rows, cols)
    v = torch.abs(torch.randn(rows, cols)) + 1e-3
    return [param, m, v]


def get_init_inputs():
    return []
