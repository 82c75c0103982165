import torch
import torch.nn as nn


class Model(nn.Module):
    """Cross-modal attention: text tokens attend to image patches. Both are first projected
    to the text width by a Linear layer each, then nn.MultiheadAttention runs with queries
    from the text and keys = values from the image."""

    def __init__(self, d_model_text: int, d_model_img: int, num_heads: int):
        super().__init__()
        self.text_proj = nn.Linear(d_model_text, d_model_text)
        self.img_proj = nn.Linear(d_model_img, d_model_text)
        self.mha = nn.MultiheadAttention(d_model_text, num_heads, batch_first=True)

    def forward(self, text: torch.Tensor, img: torch.Tensor) -> torch.Tensor:
        q = self.text_proj(text)
        kv = self.img_proj(img)
        out, _ = self.mha(q, kv, kv, need_weights=False)
        return out


batch_size = 4
text_len = 32
img_len = 196
d_model_text = 256
d_model_img = 512
num_heads = 8


def get_inputs():
    text = torch.randn(batch_size, text_len, d_model_text) * 2.0
    img = torch.randn(batch_size, img_len, d_model_img) * 2.0
    return [text, img]


def get_init_inputs():
    return [d_model_text, d_model_img, num_heads]
