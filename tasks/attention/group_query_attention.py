import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Grouped-query attention: query heads share a smaller set of key/value heads."""

    def __init__(self, d_model: int, num_heads: int, num_kv_heads: int):
        super().__init__()
        assert num_heads % num_kv_heads == 0, "num_heads must be divisible by num_kv_heads"
        self.num_heads = num_heads
        self.num_kv_heads = num_kv_heads
        self.group_size = num_heads // num_kv_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model * num_kv_heads // num_heads)
        self.v_proj = nn.Linear(d_model, d_model * num_kv_heads // num_heads)
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, L, D = x.shape
        H, H_kv = self.num_heads, self.num_kv_heads
        head_dim = D // H

        q = self.q_proj(x).view(B, L, H, head_dim)
        k = self.k_proj(x).view(B, L, H_kv, head_dim)
        v = self.v_proj(x).view(B, L, H_kv, head_dim)

        # Each key/value head serves group_size consecutive query heads.
        if self.group_size > 1:
            k = k.repeat_interleave(self.group_size, dim=2)
            v = v.repeat_interleave(self.group_size, dim=2)

        attn = torch.einsum("blhd,bmhd->bhlm", q, k) / math.sqrt(head_dim)
        attn = F.softmax(attn, dim=-1)
        out = torch.einsum("bhlm,bmhd->blhd", attn, v).reshape(B, L, D)
        return self.out_proj(out)


batch_size = 8
seq_len = 128
d_model = 1024
num_heads = 16
num_kv_heads = 4


def get_inputs():
    x = torch.randn(batch_size, seq_len, d_model)
    return [x]


def get_init_inputs():
    return [d_model, num_heads, num_kv_heads]
