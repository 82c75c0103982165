import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """The GELU of Google BERT and OpenAI GPT (tanh approximation), as in minGPT."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


batch_size = 2000
dim = 2000


def get_inputs():
    x = torch.randn(batch_size, dim)
    return [x]


def get_init_inputs():
    return []
