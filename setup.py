"""paddle_inade: INADE (CVPR 2021) semantic image synthesis in PaddlePaddle."""
from setuptools import find_packages, setup

setup(
    name="paddle_inade",
    version="0.1.0",
    description="INADE: diverse semantic image synthesis with instance-level styles, in PaddlePaddle",
    packages=find_packages(include=["paddle_inade", "paddle_inade.*"]),
    python_requires=">=3.9",
    # paddlepaddle (CPU) or paddlepaddle-gpu: either provides the `paddle` module, so
    # neither is forced here; requirements.txt installs the CPU build.
    install_requires=["numpy", "opencv-python-headless", "PyYAML", "tqdm", "visualdl", "scipy"],
)
