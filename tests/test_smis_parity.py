"""GroupDNet against SMIS's own PyTorch code on its weights (tests/fixtures/smis).

All three generator families, the group-convolution encoder on the class crops, the
multiscale discriminator; eval mode and train mode. Relative error <= 1e-4.
"""
from __future__ import annotations

import paddle
import pytest

from smis_reference import NAMES, SMISReference, inputs, load_smis_model

OUT_TOL = 1e-4


@pytest.fixture(scope="module", params=NAMES)
def ref(request):
    return SMISReference(request.param)


@pytest.fixture(scope="module")
def model(ref):
    """The fixture's networks in eval mode (eval forwards leave them unchanged)."""
    return load_smis_model(ref)


def test_input_semantics_match(ref):
    semantics, _ = inputs(ref, ref.config())
    assert ref.error(semantics, "input_semantics") == 0.0


def test_class_crops_match(ref, model):
    semantics, image = inputs(ref, model.cfg)
    crops = model.class_crops(semantics, image)
    assert crops.shape[1] == 3 * model.cfg.semantic_nc
    assert ref.error(crops, "class_crops") == 0.0  # a gather of the masked photo: exact


def test_encoder_matches(ref, model):
    semantics, image = inputs(ref, model.cfg)
    with paddle.no_grad():
        mu, logvar = model.encode_codes(semantics, image)
    assert list(mu.shape) == [semantics.shape[0], model.cfg.code_nc, *model.cfg.latent_size]
    assert ref.error(mu, "enc_mu") <= OUT_TOL
    assert ref.error(logvar, "enc_logvar") <= OUT_TOL


def test_generator_eval_matches(ref, model):
    semantics, _ = inputs(ref, model.cfg)
    with paddle.no_grad():
        fake, blocks = model.netG(semantics, paddle.to_tensor(ref["z"]), return_blocks=True)
    assert list(fake.shape[2:]) == list(model.cfg.image_size)
    for name, out in blocks.items():
        if ref.has(f"G_block_{name}"):
            assert ref.error(out, f"G_block_{name}") <= OUT_TOL, name
    assert ref.error(fake, "fake_eval") <= OUT_TOL


@pytest.mark.parametrize("name", ["ade20k_step", "deepfashion_more"])  # cityscapes' heads are all grouped
def test_generator_with_stacked_convolutions_matches(name):
    """The ungrouped group-SPADE heads stacked into one convolution (nn.spade.fused_heads) in every
    layer that has them, and the blocks' ungrouped mlp_shared convolutions stacked (stacked_shared);
    both are chosen on large maps only: SMIS's output all the same."""
    from paddle_inade.models.resnet_block import SPADEResnetBlock
    from paddle_inade.nn.spade import SPADE
    ref = SMISReference(name)
    model = load_smis_model(ref)
    layers = [layer for layer in model.netG.sublayers() if isinstance(layer, SPADE) and layer.mlp_gamma._groups == 1]
    blocks = [block for block in model.netG.sublayers() if isinstance(block, SPADEResnetBlock)
              and all(n.mlp_shared[0]._groups == 1 for n in block.sublayers() if isinstance(n, SPADE))]
    assert layers and (blocks or name == "ade20k_step")  # ade20k's mlp_shared are grouped everywhere
    for layer in layers:
        layer.heads = "fused"
    for block in blocks:
        block.shared = "stacked"
    semantics, _ = inputs(ref, model.cfg)
    with paddle.no_grad():
        fake = model.netG(semantics, paddle.to_tensor(ref["z"]))
    assert ref.error(fake, "fake_eval") <= OUT_TOL


def test_generator_train_mode_matches(ref):
    model = load_smis_model(ref, train=True)
    semantics, _ = inputs(ref, model.cfg)
    with paddle.no_grad():
        fake = model.netG(semantics, paddle.to_tensor(ref["z"]))
    assert ref.error(fake, "fake_train") <= OUT_TOL


def test_discriminator_matches(ref, model):
    semantics, image = inputs(ref, model.cfg)
    with paddle.no_grad():
        out = model.netD(paddle.concat([semantics, image], 1))
    checked = 0
    for i, scale in enumerate(out):
        for j, t in enumerate(scale):
            assert ref.error(t, f"D_real_s{i}_l{j}") <= OUT_TOL, (i, j)
            checked += 1
    assert checked == model.cfg.num_D * (model.cfg.n_layers_D + 1)


def test_generator_through_the_onednn_program_matches(ref, model):
    """GroupDNetPipeline's CPU fast path (the folded generator as a oneDNN program): SMIS's output."""
    import copy
    from paddle_inade.nn import remove_spectral_norm
    from paddle_inade.smis.pipeline import GroupDNetPipeline
    netG = copy.deepcopy(model.netG)
    netG.eval()
    remove_spectral_norm(netG)
    pipe = GroupDNetPipeline(model.cfg, netG, impl="onednn")
    semantics, _ = inputs(ref, model.cfg)
    fake = pipe._run(semantics, ref["z"])
    assert ref.error(fake, "fake_eval") <= OUT_TOL

