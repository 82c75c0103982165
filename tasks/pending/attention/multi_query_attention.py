import math

import torch
import torch.nn as nn


class Model(nn.Module):
    """Multi-query attention: many query heads, one key/value head shared by all."""

    def __init__(self, d_model: int, num_heads: int):
        super().__init__()
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model // num_heads)  # shared across heads
        self.v_proj = nn.Linear(d_model, d_model // num_heads)
        self.out_proj = nn.Linear(d_model, d_model)
        self.num_heads = num_heads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, N, D = x.shape
        H = self.num_heads
        d_h = D // H

        q = self.q_proj(x).view(B, N, H, d_h)
        k = self.k_proj(x).unsqueeze(2)  # [B, N, 1, d_h], broadcast over the heads
        v = self.v_proj(x).unsqueeze(2)

        attn = torch.einsum("bnhd,bkhd->bhnk", q, k) / math.sqrt(d_h)
        attn = torch.softmax(attn, dim=-1)
        out = torch.einsum("bhnk,bkhd->bnhd", attn, v).reshape(B, N, D)
        return self.out_proj(out)


batch_size = 2
seq_len = 4096
d_model = 4096
num_heads = 32


def get_inputs():
    x = torch.randn(batch_size, seq_len, d_model)
    return [x]


def get_init_inputs():
    return [d_model, num_heads]
