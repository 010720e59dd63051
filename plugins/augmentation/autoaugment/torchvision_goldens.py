#!/usr/bin/python3
# Prints the golden table of autoaugment_ops_test.cpp with torchvision (Debian python3-torchvision
# 0.14.1, run with /usr/bin/python3). Not part of the build: the table is committed in the test.
import torch
from torchvision.transforms import autoaugment as aa
from torchvision.transforms import InterpolationMode
NEAREST = InterpolationMode.NEAREST
g1 = (torch.arange(36, dtype=torch.float32) * 7 % 256 / 255).reshape(1, 1, 6, 6)
g3 = (torch.arange(48, dtype=torch.float32) * 11 % 256 / 255).reshape(1, 3, 4, 4)
def fmt_vals(out):
    b = out.flatten() * 255
    if torch.allclose(b, b.round(), atol=1e-4):
        return "bytes", ", ".join(str(int(v)) for v in b.round().tolist())
    return "reals", ", ".join(f"{v:.7g}" for v in out.flatten().tolist())
def case(name, op, m, fill, img, ch):
    out = aa._apply_op(img.clone(), op, m, NEAREST, [fill] * img.shape[1])
    kind, vals = fmt_vals(out)
    return f'    {{"{name}", Op::{op_enum[op]}, {m}, {fill}, {ch}, Golden::{kind}, {{{vals}}}}},'
op_enum = {"ShearX":"ShearX","ShearY":"ShearY","TranslateX":"TranslateX","TranslateY":"TranslateY","Rotate":"Rotate","Brightness":"Brightness","Contrast":"Contrast","Sharpness":"Sharpness","Solarize":"Solarize","AutoContrast":"AutoContrast","Invert":"Invert","Color":"Color","Posterize":"Posterize","Equalize":"Equalize"}
cases = [
 ("shear_x +0.3", "ShearX", 0.3, 0.0, g1, 1), ("shear_x -0.23 fill 0.5", "ShearX", -0.23, 0.5, g1, 1),
 ("shear_y +0.3", "ShearY", 0.3, 0.0, g1, 1), ("translate_x +2", "TranslateX", 2.0, 0.0, g1, 1),
 ("translate_y -1 fill 0.2", "TranslateY", -1.0, 0.2, g1, 1), ("rotate +30", "Rotate", 30.0, 0.0, g1, 1),
 ("rotate -17", "Rotate", -17.0, 0.0, g1, 1), ("brightness +0.5", "Brightness", 0.5, 0.0, g1, 1),
 ("brightness -0.3", "Brightness", -0.3, 0.0, g1, 1), ("contrast -0.5", "Contrast", -0.5, 0.0, g1, 1),
 ("sharpness +0.9", "Sharpness", 0.9, 0.0, g1, 1), ("solarize 0.5", "Solarize", 0.5, 0.0, g1, 1),
 ("autocontrast", "AutoContrast", 0.0, 0.0, g1, 1), ("invert", "Invert", 0.0, 0.0, g1, 1),
 ("color 1ch +0.4", "Color", 0.4, 0.0, g1, 1),
 ("color 3ch +0.4", "Color", 0.4, 0.0, g3, 3), ("contrast 3ch +0.3", "Contrast", 0.3, 0.0, g3, 3),
]
lines = [case(*c) for c in cases]
b1 = (torch.arange(36) * 7 % 256).to(torch.uint8).reshape(1, 1, 6, 6)
for name, m in [("posterize 4", 4), ("posterize 6", 6)]:
    out = aa._apply_op(b1.clone(), "Posterize", m, NEAREST, None).float() / 255
    kind, vals = fmt_vals(out)
    lines.append(f'    {{"{name}", Op::Posterize, {m}, 0.0, 1, Golden::{kind}, {{{vals}}}}},')
print("\n".join(lines))
# equalize: 20x20 with four grey levels (i*j % 4 -> 0, 50, 100, 200)
lv = torch.tensor([0, 50, 100, 200])
i = torch.arange(20).view(20, 1); j = torch.arange(20).view(1, 20)
e = lv[(i * j) % 4].to(torch.uint8).reshape(1, 1, 20, 20)
out = aa._apply_op(e.clone(), "Equalize", 0.0, NEAREST, None)
for v in [0, 50, 100, 200]:
    print("equalize", v, "->", int(out[e == v].unique().item()), "count", int((e == v).sum()))
