import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Cosine similarity loss: the mean over rows of 1 - cos(predictions, targets), a scalar."""

    def __init__(self):
        super().__init__()

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        cosine_sim = F.cosine_similarity(predictions, targets, dim=1)
        return torch.mean(1 - cosine_sim)


batch_size = 128
dim = 4096
input_shape = (dim,)


def get_inputs():
    # kbench shifts each tensor by a mean m ~ U(-2, 2): with standard normals the loss is
    # always about 1, and a constant 1.0 would pass.
    shift = lambda: torch.empty(()).uniform_(-2.0, 2.0)
    return [
        torch.randn(batch_size, *input_shape) + shift(),
        torch.randn(batch_size, *input_shape) + shift(),
    ]


def get_init_inputs():
    return []
