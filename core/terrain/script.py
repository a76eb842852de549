"""The lesson's "Show the PyTorch code": the lab's script builds the same data, network, loss and
optimiser (core.lab.script, trained for no epoch), then the run trains as the lab trains it,
keeping what the open view needs, and prints that view's numbers as the page computes them:
the sharpness along the run, the slice's centre and corners and the interpolation, the noise
scale, or one weight's last step."""

from __future__ import annotations

from core.lab.model import LabConfig
from core.lab.script import to_script as lab_script
from core.terrain.run import PATH_POINTS, path_stride
from core.terrain.surface import PATH_MARGIN
from core.terrain.weights import Picked

PRINTS = 10  # about this many epochs print their loss (and the sharpness), and the last
POWER_TOLERANCE = 1e-6  # the script's power iteration runs to here: the page's value to ~1e-4


def every(epochs: int) -> int:
    return max(1, epochs // PRINTS)


def to_script(config: LabConfig, epochs: int, view: str, *, directions: str = "random",
              span: float = 1.0, picked: Picked | None = None, module: int = 0) -> str:
    """config: the run's (validated) lab Config; epochs: where the run is; view: "sharpness",
    "surface", "noise" or "weights" (picked: the weight opened, in the Sequential's module
    number module)."""
    watched = view == "weights" and picked is not None
    parts = [lab_script(config, 0), TRAINING.format(
        epochs=epochs, batch=config.batch, stride=path_stride(epochs), every=every(epochs),
        points=PATH_POINTS, sharpness="\n" + SHARPNESS_CALL if view == "sharpness" else "",
        watch=WATCH.format(module=module, parameter=picked.parameter) if watched else "",
        before=BEFORE if watched else "")]
    if view == "sharpness":
        parts.insert(1, SHARPNESS.format(seed=config.seed, tolerance=POWER_TOLERANCE,
                                         threshold=f"{2 / config.lr!r}"))
    elif view == "surface":
        chosen = PATH_DIRECTIONS.format(margin=PATH_MARGIN) if directions == "path" \
            else RANDOM_DIRECTIONS.format(seed=config.seed, span=span)
        parts.append(SURFACE.replace("{directions}", chosen))
    elif view == "noise":
        parts.append(NOISE)
    elif watched:
        parts.append(WEIGHT.format(index=", ".join(map(str, picked.index))))
    return "\n".join(parts)


WATCH = "parameter = model[{module}].{parameter}  # the weight opened is one of its elements\n"
BEFORE = "\n        before, grad = parameter.detach().clone(), parameter.grad.clone()"


TRAINING = '''

def flat():
    """The weights training moves, as one vector."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters() if p.requires_grad])


# Train as the lab trains: the path keeps the weights every {stride} epochs (at most {points})
{watch}initial, path = flat(), [flat()]
for epoch in range(1, {epochs} + 1):
    model.train()
    order = torch.randperm(len(x_train))
    for start in range(0, len(x_train), {batch}):
        batch = order[start:start + {batch}]
        loss = loss_fn(model(x_train[batch]), y_train[batch])
        optimizer.zero_grad()
        loss.backward(){before}
        optimizer.step()
    if epoch % {stride} == 0 or epoch == {epochs}:
        path.append(flat())
    if epoch % {every} == 0 or epoch == {epochs}:
        print("epoch {{}}: train loss {{!r}}, test loss {{!r}}".format(epoch, *losses())){sharpness}
model.eval()
params = [p for p in model.parameters() if p.requires_grad]
'''

SHARPNESS = '''
v = torch.randn(sum(p.numel() for p in model.parameters() if p.requires_grad),
                generator=torch.Generator().manual_seed({seed}))


def power_iteration(product, v):
    """The eigenvalue of largest magnitude: v <- Hv / |Hv| until |Hv - λv| <= {tolerance}·|λ|."""
    v = v / v.norm()
    for _ in range(5000):
        hv = product(v)
        value = (v @ hv).item()
        done = (hv - value * v).norm() <= {tolerance} * abs(value)
        v = hv / hv.norm()
        if done:
            break
    return value, v


def sharpness():
    """The top eigenvalue of the training loss's Hessian (the model in eval mode), by power
    iteration on Hessian-vector products; on H - λI again when a negative one is larger."""
    global v
    model.eval()
    weights = [p for p in model.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss_fn(model(x_train), y_train), weights, create_graph=True)
    flat_grad = torch.cat([g.reshape(-1) for g in grads])

    def product(u):
        parts = torch.autograd.grad(flat_grad, weights, grad_outputs=u, retain_graph=True,
                                    materialize_grads=True)
        return torch.cat([part.reshape(-1) for part in parts])

    value, v = power_iteration(product, v)
    if value < 0:
        shifted, v = power_iteration(lambda u: product(u) - value * u, v)
        value = shifted + value
    return value


print(f"epoch 0: sharpness {{sharpness():.6g}}, 2/lr = {threshold}")'''

SHARPNESS_CALL = '''        print(f"epoch {epoch}: sharpness {sharpness():.6g}")'''

RANDOM_DIRECTIONS = '''generator = torch.Generator().manual_seed({seed})


def direction():
    """Random, filter-normalised: each row of a weight matrix (one neuron's incoming weights)
    as long as the same row of the weights; zero for biases (one dimension)."""
    parts = []
    for p in params:
        d = torch.randn(p.shape, generator=generator)
        if p.dim() <= 1:
            d.zero_()
        else:
            rows = p.detach().reshape(len(p), -1).norm(dim=1)
            d = d * (rows / (d.reshape(len(d), -1).norm(dim=1) + 1e-10)).view(
                -1, *[1] * (d.dim() - 1))
        parts.append(d.reshape(-1))
    return torch.cat(parts)


d1, d2 = direction(), direction()
span = {span!r}'''

PATH_DIRECTIONS = '''# The path's top two principal directions (its weights minus the current ones)
moves = (torch.stack(path[:-1]) - path[-1]).double()
_, values, vectors = torch.linalg.svd(moves - moves.mean(0), full_matrices=False)
d1, d2 = vectors[0].float(), vectors[1].float()
share = (values ** 2 / (values ** 2).sum())[:2].tolist()
print(f"path directions: {{share[0]:.1%}} and {{share[1]:.1%}} of the path's variance")
coordinates = torch.linalg.lstsq(torch.stack([d1, d2], 1).double(),
                                 (torch.stack(path) - path[-1]).double().T).solution
span = {margin!r} * coordinates.abs().max().item()'''

SURFACE = '''from torch.func import functional_call

names = [name for name, p in model.named_parameters() if p.requires_grad]


def loss_at(weights):
    """The training loss at a vector of weights."""
    named, start = {}, 0
    for name, p in zip(names, params):
        named[name] = weights[start:start + p.numel()].view(p.shape)
        start += p.numel()
    with torch.no_grad():
        return loss_fn(functional_call(model, named, (x_train,)), y_train).item()


{directions}
centre = flat()
for a, b in ((0, 0), (-span, -span), (span, -span), (-span, span), (span, span)):
    print(f"slice at a = {a:.4g}, b = {b:.4g}: loss {loss_at(centre + a * d1 + b * d2):.6g}")
for alpha in (-0.5, 0.5, 1.5):
    print(f"line at alpha = {alpha}: loss {loss_at(initial + alpha * (centre - initial)):.6g}")
'''

NOISE = '''from torch.func import functional_call, grad, vmap

named = {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}


def example_loss(weights, x, y):
    return loss_fn(functional_call(model, weights, (x[None],)), y[None])


per_example = vmap(grad(example_loss), in_dims=(None, 0, 0))(named, x_train, y_train)
rows = torch.cat([g.reshape(len(x_train), -1) for g in per_example.values()], 1)
full = rows.mean(0)  # the full-batch gradient G
trace = ((rows - full) ** 2).sum(1).mean().item()  # tr(Σ), Σ over the training set
signal = (full @ full).item()  # |G|²
print(f"B_simple = tr(Σ)/|G|² = {trace:.6g} / {signal:.6g} = {trace / signal:.6g}")
'''

WEIGHT = '''state = optimizer.state[parameter]
print(f"before the last step: {{before[{index}].item():.8g}}, "
      f"gradient {{grad[{index}].item():.8g}}")
print(f"after it: {{parameter[{index}].item():.8g}}")
for key, value in state.items():
    value = value[{index}] if value.shape == parameter.shape else value
    print(f"state {{key}}: {{float(value):.8g}}")
'''
