import torch
import torch.nn as nn


class Model(nn.Module):
    """Sparse (banded) self-attention: nn.MultiheadAttention where position i attends only
    to the positions j with |i - j| < window_size (a boolean mask, True = not allowed)."""

    def __init__(self, d_model: int, num_heads: int, window_size: int, max_seq_len: int = 4096):
        super().__init__()
        self.mha = nn.MultiheadAttention(d_model, num_heads, batch_first=True)
        self.window_size = window_size
        self.max_seq_len = max_seq_len

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seq_len = x.size(1)
        assert seq_len <= self.max_seq_len
        pos = torch.arange(seq_len, device=x.device)
        mask = (pos[:, None] - pos[None, :]).abs() >= self.window_size
        out, _ = self.mha(x, x, x, attn_mask=mask, need_weights=False)
        return out


batch_size = 16
seq_len = 128
d_model = 512
num_heads = 4
window_size = 32


def get_inputs():
    x = torch.randn(batch_size, seq_len, d_model)
    return [x]


def get_init_inputs():
    return [d_model, num_heads, window_size]
