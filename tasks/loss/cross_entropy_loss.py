import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Cross-entropy of logits against integer class targets (mean over the batch), a scalar."""

    def __init__(self):
        super().__init__()

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(predictions, targets)


batch_size = 4096
num_classes = 10
input_shape = (num_classes,)


def get_inputs():
    # kbench scales the logits by s ~ U(0.5, 2): with standard normal logits the loss is
    # always about the same, and a constant would pass.
    scale = torch.empty(()).uniform_(0.5, 2.0)
    return [
        torch.randn(batch_size, *input_shape) * scale,
        torch.randint(0, num_classes, (batch_size,)),
    ]


def get_init_inputs():
    return []
