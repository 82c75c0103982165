import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """nn.Embedding lookup: one row of the weight per index."""

    def __init__(self, num_embeddings: int, embedding_dim: int):
        super().__init__()
        self.embedding = nn.Embedding(num_embeddings, embedding_dim)

    def forward(self, indices: torch.Tensor) -> torch.Tensor:
        return self.embedding(indices)


batch_size = 512
seq_len = 128
num_embeddings = 100000
embedding_dim = 768


def get_inputs():
    indices = torch.randint(0, num_embeddings, (batch_size, seq_len), dtype=torch.int64)
    return [indices]


def get_init_inputs():
    return [num_embeddings, embedding_dim]
