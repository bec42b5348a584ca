# Golden values for tests/PluginMoE.Tensors.Tests/optim/*: PyTorch 1.13 optimizer trajectories on fixed
# parameters with fixed per-step gradients. Run: /usr/bin/python3 tools/golden/optim_trajectories.py
import torch

torch.set_printoptions(precision=17)
P0 = [0.5, -1.25, 2.0, 0.0, -0.75, 3.5]


def grad(step, dtype):
    # g[i] at step k (1-based): sin(1.3*i + 0.7*k) * (1 + 0.25*k)
    i = torch.arange(6, dtype=torch.float64)
    return (torch.sin(1.3 * i + 0.7 * step) * (1 + 0.25 * step)).to(dtype)


def run(make, dtype=torch.float64, steps=5, groups=None):
    p = torch.tensor(P0, dtype=dtype, requires_grad=True)
    if groups:
        a = torch.nn.Parameter(p.detach()[:3].clone())
        b = torch.nn.Parameter(p.detach()[3:].clone())
        opt = make([dict(params=[a], **groups[0]), dict(params=[b], **groups[1])])
        for k in range(1, steps + 1):
            g = grad(k, dtype)
            a.grad, b.grad = g[:3].clone(), g[3:].clone()
            opt.step()
        return torch.cat([a.detach(), b.detach()])
    opt = make([p])
    for k in range(1, steps + 1):
        p.grad = grad(k, dtype)
        opt.step()
    return p.detach()


def show(name, t):
    print(name, "=", "{" + ", ".join(repr(float(v)) for v in t) + "}")


show("AdamW_f64", run(lambda ps: torch.optim.AdamW(ps, lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1)))
show("AdamW_defaults_f64", run(lambda ps: torch.optim.AdamW(ps)))
show("AdamW_f32", run(lambda ps: torch.optim.AdamW(ps, lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1), torch.float32))
show("AdamW_groups_f64", run(lambda gs: torch.optim.AdamW(gs, lr=0.01, weight_decay=0.1), groups=[{}, dict(lr=0.02, weight_decay=0.0)]))
show("SGD_momentum_f64", run(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)))
show("SGD_nesterov_f64", run(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)))
show("SGD_plain_f32", run(lambda ps: torch.optim.SGD(ps, lr=0.1), torch.float32))

# clip_grad_norm_: two tensors, L2, inf and L1 norms
def clip(norm_type, max_norm):
    a = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(2, 2, dtype=torch.float64, requires_grad=True)
    a.grad = torch.tensor([3.0, -4.0, 12.0], dtype=torch.float64)
    b.grad = torch.tensor([[1.0, -2.0], [0.5, 7.0]], dtype=torch.float64)
    total = torch.nn.utils.clip_grad_norm_([a, b], max_norm, norm_type)
    return float(total), torch.cat([a.grad, b.grad.flatten()])


for nt in (2.0, float("inf"), 1.0):
    total, g = clip(nt, 5.0)
    print(f"clip norm_type={nt}: total={total!r}")
    show("  grads", g)

# Schedulers (base lr 0.1)
def sched(make, n):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    s = make(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    return out

show("LinearLR", sched(lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4), 7))
show("StepLR", sched(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5), 7))
show("ConstantLR", sched(lambda o: torch.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3), 5))
