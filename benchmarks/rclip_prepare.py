"""The model for the rclip side-by-side (benchmarks/rclip_side_by_side.py):
one random-weight ViT-B-32-256 (rclip 3.3's architecture), saved as a
checkpoint for mediasearch and exported to ONNX with rclip's input and
output names into an rclip data dir, where rclip looks before it would
download anything. Random weights cost what real ones do: speed only.

    python benchmarks/rclip_prepare.py /tmp/rc
"""
from __future__ import annotations

import shutil
import sys
import warnings
from pathlib import Path

import open_clip
import torch

RCLIP_MODEL_DIR = "ViT-B-32-256-datacomp_s34b_b86k"  # the folder name rclip 3.3 expects


class _Tower(torch.nn.Module):
    def __init__(self, model, text: bool):
        super().__init__()
        self.model, self.text = model, text

    def forward(self, x):
        return self.model.encode_text(x) if self.text else self.model.encode_image(x)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/rc")
    models = out / "rclip-data" / RCLIP_MODEL_DIR
    models.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model, _, _ = open_clip.create_model_and_transforms("ViT-B-32-256", pretrained=None)
    model.eval()
    torch.save(model.state_dict(), out / "vitb32-256-random.pt")
    tokens = open_clip.get_tokenizer("ViT-B-32-256")(["a dog"])
    with torch.enable_grad(), warnings.catch_warnings():  # see onnx_towers.py: no fused attention path
        warnings.simplefilter("ignore")
        for name, text, example in (("visual.onnx", False, torch.zeros(1, 3, 256, 256)),
                                    ("textual.onnx", True, tokens)):
            torch.onnx.export(_Tower(model, text), (example,), str(models / name), input_names=["input"],
                              output_names=["output"], dynamic_axes={"input": {0: "n"}, "output": {0: "n"}},
                              opset_version=17, dynamo=False)
    vocab = out / "rclip-data" / "tokenizer"
    vocab.mkdir(exist_ok=True)
    shutil.copy(Path(open_clip.__file__).parent / "bpe_simple_vocab_16e6.txt.gz", vocab)
    print(f"prepared {out}")


if __name__ == "__main__":
    main()
