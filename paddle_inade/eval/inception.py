"""The FID Inception-v3 (pytorch-fid's variant of TF's graph), in Paddle.

State names follow pytorch-fid (``Mixed_5b.branch1x1.conv.weight`` ...), so its weights
file ``pt_inception-2015-12-05-6726825d.pth`` converts with the torch reader:
``tools/eval_fid.py --inception_weights FILE`` (``.pth`` or a converted ``.pdparams``).
Input: images [N, 3, H, W] in [0, 1]; output: pool features [N, 2048] (or an earlier
block's, pytorch-fid's ``--dims`` 64 / 192 / 768).
"""
from __future__ import annotations

import os
from typing import Optional

import numpy as np
import paddle
import paddle.nn.functional as F
from paddle import nn


class BasicConv2d(nn.Layer):
    def __init__(self, cin, cout, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2D(cin, cout, kernel, stride=stride, padding=padding, bias_attr=False)
        self.bn = nn.BatchNorm2D(cout, epsilon=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def _avg3(x):
    return F.avg_pool2d(x, 3, stride=1, padding=1, exclusive=True)


class InceptionA(nn.Layer):
    def __init__(self, cin, pool_features):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, 1)
        self.branch5x5_1, self.branch5x5_2 = BasicConv2d(cin, 48, 1), BasicConv2d(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, 1)

    def forward(self, x):
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return paddle.concat([self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)), b3,
                              self.branch_pool(_avg3(x))], 1)


class InceptionB(nn.Layer):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return paddle.concat([self.branch3x3(x), b3, F.max_pool2d(x, 3, stride=2)], 1)


class InceptionC(nn.Layer):
    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 192, 1)
        self.branch7x7_1 = BasicConv2d(cin, c7, 1)
        self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, 1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, 1)

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for i in range(1, 6):
            d = getattr(self, f"branch7x7dbl_{i}")(d)
        return paddle.concat([self.branch1x1(x), b7, d, self.branch_pool(_avg3(x))], 1)


class InceptionD(nn.Layer):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1, self.branch3x3_2 = BasicConv2d(cin, 192, 1), BasicConv2d(192, 320, 3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, 1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)

    def forward(self, x):
        b7 = x
        for i in range(1, 5):
            b7 = getattr(self, f"branch7x7x3_{i}")(b7)
        return paddle.concat([self.branch3x3_2(self.branch3x3_1(x)), b7, F.max_pool2d(x, 3, stride=2)], 1)


class InceptionE(nn.Layer):
    """``max_pool`` selects pytorch-fid's FIDInceptionE_2 (Mixed_7c) over E_1 (Mixed_7b)."""

    def __init__(self, cin, max_pool: bool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(cin, 320, 1)
        self.branch3x3_1 = BasicConv2d(cin, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, 1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, 1)

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        b3 = paddle.concat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d = paddle.concat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        pool = F.max_pool2d(x, 3, stride=1, padding=1) if self.max_pool else _avg3(x)
        return paddle.concat([self.branch1x1(x), b3, d, self.branch_pool(pool)], 1)


#: Feature sizes of pytorch-fid's blocks (its ``--dims``): the channels after each stage.
DIMS = (64, 192, 768, 2048)
_MIXED = ("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e")


class FIDInceptionV3(nn.Layer):
    """images [N, 3, H, W] in [0, 1] -> [N, dims] features (spatial mean of a block's output;
    dims 2048 is the pool3 layer FID uses)."""

    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
        self.Mixed_5b, self.Mixed_5c, self.Mixed_5d = InceptionA(192, 32), InceptionA(256, 64), InceptionA(288, 64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b, self.Mixed_6c = InceptionC(768, 128), InceptionC(768, 160)
        self.Mixed_6d, self.Mixed_6e = InceptionC(768, 160), InceptionC(768, 192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b, self.Mixed_7c = InceptionE(1280, max_pool=False), InceptionE(2048, max_pool=True)
        self.fc = nn.Linear(2048, 1008)  # in pytorch-fid's file; unused for features

    def forward(self, x, dims: int = 2048):
        if dims not in DIMS:
            raise ValueError(f"dims must be one of {DIMS}, got {dims}")
        x = F.interpolate(x, size=[299, 299], mode="bilinear", align_corners=False) * 2 - 1
        x = F.max_pool2d(self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x))), 3, stride=2)
        if dims > 64:
            x = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), 3, stride=2)
        if dims > 192:
            for name in _MIXED:
                x = getattr(self, name)(x)
        if dims > 768:
            x = self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(x)))
        return F.adaptive_avg_pool2d(x, 1).flatten(1)


def load_inception(path: str) -> FIDInceptionV3:
    """FIDInceptionV3 in eval mode with weights from ``path`` (pytorch-fid's .pth or a .pdparams).

    Raises FileNotFoundError for a missing file and ValueError when a key or shape does not fit.
    """
    from ..weights import load_weights
    net = FIDInceptionV3()
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no Inception weights file (pytorch-fid's "
                                "pt_inception-2015-12-05-6726825d.pth or a converted .pdparams)")
    load_weights(net, path)
    net.eval()
    return net


def inception_features(net: FIDInceptionV3, images, batch_size: int = 50,
                       resize_size: Optional[int] = None, dims: int = 2048) -> np.ndarray:
    """uint8 [N, H, W, 3] images of one size -> float64 [N, dims] features.

    ``resize_size`` S: resize bilinearly to S x 2S first (the original's ``--resize_size``).
    """
    feats = []
    with paddle.no_grad():
        for start in range(0, len(images), batch_size):
            chunk = np.asarray(images[start:start + batch_size], np.float32).transpose(0, 3, 1, 2) / 255.0
            x = paddle.to_tensor(chunk)
            if resize_size:
                x = F.interpolate(x, size=[resize_size, 2 * resize_size], mode="bilinear", align_corners=False)
            feats.append(net(x, dims).numpy().astype(np.float64))
    return np.concatenate(feats)
