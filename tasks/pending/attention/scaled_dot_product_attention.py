import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Non-causal F.scaled_dot_product_attention on 4-D [batch, heads, seq_len, head_dim]
    Q, K, V."""

    def __init__(self):
        super().__init__()

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k, v)


batch_size = 32
num_heads = 32
seq_len = 512
head_dim = 1024


def get_inputs():
    # kbench draws the queries ~ N(0, 2^2) and the keys and values ~ N(0, 1) instead of
    # torch.rand: with uniform inputs the softmax is nearly flat and the output is about 0.5
    # everywhere (the mean of the values over the keys, ignoring the queries and keys,
    # passes the tolerance).
    q = torch.randn(batch_size, num_heads, seq_len, head_dim) * 2
    k = torch.randn(batch_size, num_heads, seq_len, head_dim)
    v = torch.randn(batch_size, num_heads, seq_len, head_dim)
    return [q, k, v]


def get_init_inputs():
    return []
