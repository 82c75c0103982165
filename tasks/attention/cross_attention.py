import torch
import torch.nn as nn


class Model(nn.Module):
    """Cross-attention: nn.MultiheadAttention with queries from q and keys = values = kv."""

    def __init__(self, d_model: int, num_heads: int):
        super().__init__()
        self.mha = nn.MultiheadAttention(d_model, num_heads, batch_first=True)

    def forward(self, q: torch.Tensor, kv: torch.Tensor) -> torch.Tensor:
        out, _ = self.mha(q, kv, kv, need_weights=False)
        return out


batch_size = 16
query_len = 64
kv_len = 128
d_model = 512
num_heads = 8


def get_inputs():
    q = torch.randn(batch_size, query_len, d_model)
    kv = torch.randn(batch_size, kv_len, d_model)
    return [q, kv]


def get_init_inputs():
    return [d_model, num_heads]
