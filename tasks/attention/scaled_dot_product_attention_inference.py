import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Non-causal F.scaled_dot_product_attention on 3-D [batch, seq_len, hidden_dim] Q, K, V
    (a single 4096-wide head)."""

    def __init__(self):
        super().__init__()

    def forward(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor
    ) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k, v)


batch_size = 1
seq_len = 2048
hidden_dim = 4096


def get_inputs():
    # kbench draws the queries ~ N(0, 2^2) and the keys and values ~ N(0, 1) instead of
    # torch.rand: with uniform inputs the softmax is nearly flat and the output is about 0.5
    # everywhere (the mean of the values over the keys, ignoring the queries and keys,
    # passed the tolerance).
    q = torch.randn(batch_size, seq_len, hidden_dim) * 2
    k = torch.randn(batch_size, seq_len, hidden_dim)
    v = torch.randn(batch_size, seq_len, hidden_dim)
    return [q, k, v]


def get_init_inputs():
    return []
