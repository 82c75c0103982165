import torch
import torch.nn as nn


class Model(nn.Module):
    """Causal self-attention: nn.MultiheadAttention where each position attends to itself
    and the earlier positions (an upper-triangular boolean mask, True = not allowed)."""

    def __init__(self, d_model: int, num_heads: int, max_seq_len: int = 4096):
        super().__init__()
        self.mha = nn.MultiheadAttention(d_model, num_heads, batch_first=True)
        mask = torch.triu(torch.ones(max_seq_len, max_seq_len, dtype=torch.bool), diagonal=1)
        # Not persistent: the state_dict holds only the attention's parameters.
        self.register_buffer("causal_mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seq_len = x.size(1)
        mask = self.causal_mask[:seq_len, :seq_len]
        out, _ = self.mha(x, x, x, attn_mask=mask, need_weights=False)
        return out


batch_size = 32
seq_len = 64
d_model = 512
num_heads = 4


def get_inputs():
    x = torch.randn(batch_size, seq_len, d_model)
    return [x]


def get_init_inputs():
    return [d_model, num_heads]
