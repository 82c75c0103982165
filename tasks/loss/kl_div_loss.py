import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """KL divergence F.kl_div(log(predictions), targets, reduction='batchmean'), a scalar."""

    def __init__(self):
        super().__init__()

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.kl_div(torch.log(predictions), targets, reduction="batchmean")


batch_size = 128
dim = 4096
input_shape = (dim,)


def get_inputs():
    # Rows of probabilities. kbench scales the logits by s ~ U(0.5, 2) per tensor: with
    # standard normal logits the divergence is always about the same, and a constant
    # would pass.
    scale = lambda: torch.empty(()).uniform_(0.5, 2.0)
    return [
        (torch.randn(batch_size, *input_shape) * scale()).softmax(dim=-1),
        (torch.randn(batch_size, *input_shape) * scale()).softmax(dim=-1),
    ]


def get_init_inputs():
    return []
