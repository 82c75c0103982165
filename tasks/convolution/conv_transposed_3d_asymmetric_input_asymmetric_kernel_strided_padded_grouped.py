import torch
import torch.nn as nn


class Model(nn.Module):
    """A transposed 3-D convolution, no bias."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple, stride: tuple = (1, 1, 1), padding: tuple = (0, 0, 0), output_padding: tuple = (0, 0, 0), groups: int = 1, bias: bool = False):
        super().__init__()
        self.conv_transpose3d = nn.ConvTranspose3d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, output_padding=output_padding, groups=groups, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_transpose3d(x)


batch_size = 16
in_channels = 32
out_channels = 64
kernel_size_d = 3
kernel_size_h = 5
kernel_size_w = 7
depth = 16
height = 32
width = 64
stride = 2
padding_d = 1
padding_h = 2
padding_w = 3
output_padding = 1
groups = 4


def get_inputs():
    x = torch.randn(batch_size, in_channels, depth, height, width)
    return [x]


def get_init_inputs():
    return [in_channels, out_channels, (kernel_size_d, kernel_size_h, kernel_size_w), (stride, stride, stride), (padding_d, padding_h, padding_w), (output_padding, output_padding, output_padding), groups]
