import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Sliding-window causal attention: each position attends to itself and the
    window_size - 1 positions before it."""

    def __init__(self, d_model: int, num_heads: int, window_size: int):
        super().__init__()
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.num_heads = num_heads
        self.window_size = window_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, N, D = x.shape
        H = self.num_heads
        d_h = D // H

        q = self.q_proj(x).view(B, N, H, d_h)
        k = self.k_proj(x).view(B, N, H, d_h)
        v = self.v_proj(x).view(B, N, H, d_h)

        attn_out = torch.zeros_like(q)
        for i in range(N):
            # Keys start..i: at most window_size of them, the query's own included.
            start = max(0, i - self.window_size + 1)
            qi = q[:, i:i + 1]
            ki = k[:, start:i + 1]
            vi = v[:, start:i + 1]
            scores = torch.einsum("bqhd,bkhd->bhqk", qi, ki) / math.sqrt(d_h)
            weights = F.softmax(scores, dim=-1)
            attn_out[:, i:i + 1] = torch.einsum("bhqk,bkhd->bqhd", weights, vi)
        return self.out_proj(attn_out.reshape(B, N, D))


batch_size = 4
seq_len = 2048
d_model = 1024
num_heads = 16
window_size = 256


def get_inputs():
    x = torch.randn(batch_size, seq_len, d_model)
    return [x]


def get_init_inputs():
    return [d_model, num_heads, window_size]
