import torch
import torch.nn as nn


class Model(nn.Module):
    """Triplet margin loss nn.TripletMarginLoss(margin) of anchor, positive and negative rows, a scalar."""

    def __init__(self, margin: float = 1.0):
        super().__init__()
        self.loss_fn = nn.TripletMarginLoss(margin=margin)

    def forward(self, anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(anchor, positive, negative)


batch_size = 128
dim = 4096
input_shape = (dim,)


def get_inputs():
    # kbench scales each tensor by its own s: anchor U(0.5, 2), positive U(1, 2),
    # negative U(0.5, 1). With standard normals the loss is always about the same, and a
    # constant would pass; positives at least as spread as negatives keep it above 0.
    scale = lambda low, high: torch.empty(()).uniform_(low, high)
    return [
        torch.randn(batch_size, *input_shape) * scale(0.5, 2.0),
        torch.randn(batch_size, *input_shape) * scale(1.0, 2.0),
        torch.randn(batch_size, *input_shape) * scale(0.5, 1.0),
    ]


def get_init_inputs():
    return [1.0]  # margin
