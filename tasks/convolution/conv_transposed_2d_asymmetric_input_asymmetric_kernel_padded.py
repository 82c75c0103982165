import torch
import torch.nn as nn


class Model(nn.Module):
    """A transposed 2-D convolution, no bias."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple, stride: tuple = (1, 1), padding: tuple = (0, 0), bias: bool = False):
        super().__init__()
        self.conv_transpose2d = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_transpose2d(x)


batch_size = 16
in_channels = 32
out_channels = 64
kernel_size_h = 3
kernel_size_w = 5
height = 128
width = 256
stride_h = 1
stride_w = 1
padding_h = 1
padding_w = 2


def get_inputs():
    x = torch.randn(batch_size, in_channels, height, width)
    return [x]


def get_init_inputs():
    return [in_channels, out_channels, (kernel_size_h, kernel_size_w), (stride_h, stride_w), (padding_h, padding_w)]
