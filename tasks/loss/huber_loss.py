import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Smooth L1 (Huber, beta = 1) loss between predictions and targets, mean reduction, a scalar."""

    def __init__(self):
        super().__init__()

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.smooth_l1_loss(predictions, targets)


batch_size = 128
dim = 4096
input_shape = (dim,)


def get_inputs():
    # kbench scales each tensor by s ~ U(0.5, 2): with standard normals the loss is always
    # about the same, and a constant would pass.
    scale = lambda: torch.empty(()).uniform_(0.5, 2.0)
    return [
        torch.randn(batch_size, *input_shape) * scale(),
        torch.randn(batch_size, *input_shape) * scale(),
    ]


def get_init_inputs():
    return []
