import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Speculative decoding: 4 draft query tokens per sequence attend (non-causally) to a
    4096-long KV cache with F.scaled_dot_product_attention on 3-D tensors."""

    def __init__(self):
        super().__init__()

    def forward(
        self, q: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor
    ) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k_cache, v_cache)


batch_size = 2
num_speculative = 4
cache_len = 4096
hidden_dim = 4096


def get_inputs():
    # kbench draws the queries ~ N(0, 2^2) and the keys and values ~ N(0, 1) instead of
    # torch.rand: with uniform inputs the softmax is nearly flat and the output is about 0.5
    # everywhere (the mean of the values over the keys, ignoring the queries and keys,
    # passed the tolerance).
    q = torch.randn(batch_size, num_speculative, hidden_dim) * 2
    k_cache = torch.randn(batch_size, cache_len, hidden_dim)
    v_cache = torch.randn(batch_size, cache_len, hidden_dim)
    return [q, k_cache, v_cache]


def get_init_inputs():
    return []
