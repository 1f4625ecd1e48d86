"""paddle_inade: INADE (CVPR 2021) semantic image synthesis in PaddlePaddle."""
from setuptools import find_packages, setup

#: tools/<name>.py, each with main(argv=None) -> exit code: the command paddle-inade-<name with dashes>
TOOLS = ("train", "test", "demo", "app", "export", "convert_weights", "make_instances", "eval_fid",
         "eval_diversity", "eval_quality", "eval_class_vs_instance", "style_transfer", "train_adain")

setup(
    name="paddle_inade",
    version="0.1.0",
    description="INADE: diverse semantic image synthesis with instance-level styles, in PaddlePaddle",
    # tools/ is installed as the package paddle_inade_tools, so that an installed package has the
    # tools as commands (paddle-inade-train = python tools/train.py, ...).
    packages=find_packages(include=["paddle_inade", "paddle_inade.*"]) + ["paddle_inade_tools"],
    package_dir={"paddle_inade_tools": "tools"},
    entry_points={"console_scripts": [f"paddle-inade-{tool.replace('_', '-')}=paddle_inade_tools.{tool}:main"
                                      for tool in TOOLS]},
    python_requires=">=3.9",
    # paddlepaddle (CPU) or paddlepaddle-gpu: either provides the `paddle` module, so
    # neither is forced here; requirements.txt installs the CPU build.
    install_requires=["numpy", "opencv-python-headless", "PyYAML", "tqdm", "visualdl", "scipy"],
)
