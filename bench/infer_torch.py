# The default model's weights in PyTorch (Debian python3-torch), one thread,
# no grad: ns per decision for 1, 4 and 16 candidates. Prints one JSON object.
# With CHECK (infer_bench's rows and outputs), scores those rows, times on
# them, and fails unless the outputs agree within 1e-5.
import json, struct, sys, time
import torch

def load(path):
    b = open(path, 'rb').read()
    nf = struct.unpack_from('<I', b, 8)[0]
    off = 12 + nf * 48
    din, h1, h2, _ = struct.unpack_from('<4I', b, off)
    off += 16 + 8 + 8 + 64 + 16 + 8
    p = torch.frombuffer(bytearray(b[off:off + 4 * (din*h1 + h1 + h1*h2 + h2 + h2 + 1)]), dtype=torch.float32)
    sizes = [din*h1, h1, h1*h2, h2, h2, 1]
    w1, b1, w2, b2, w3, b3 = torch.split(p, sizes)
    net = torch.nn.Sequential(torch.nn.Linear(din, h1), torch.nn.ReLU(),
                              torch.nn.Linear(h1, h2), torch.nn.ReLU(), torch.nn.Linear(h2, 1))
    with torch.no_grad():
        net[0].weight.copy_(w1.view(din, h1).t()); net[0].bias.copy_(b1)
        net[2].weight.copy_(w2.view(h1, h2).t()); net[2].bias.copy_(b2)
        net[4].weight.copy_(w3.view(1, h2)); net[4].bias.copy_(b3)
    return net.eval(), din, h2

def check(path, net, din, h2):
    """Our outputs, then our probe's (the output layer replaced by the mean of
    the last hidden layer, as infer_bench does), against PyTorch's."""
    c = open(path, 'rb').read()
    n, nf = struct.unpack_from('<2i', c, 0)
    if nf != din or n != 16 or len(c) != 8 + 4 * n * (nf + 2):
        sys.exit('%s: not 16 rows of %d features' % (path, din))
    f = torch.frombuffer(bytearray(c[8:]), dtype=torch.float32)
    rows, ours, probe = f[:n * nf].view(n, nf), f[n * nf:n * nf + n], f[n * nf + n:]
    rel = lambda a, b: ((a - b).abs() / b.abs().clamp_min(1)).max().item()
    diff = rel(ours, net(rows).view(n))
    w3, b3 = net[4].weight.clone(), net[4].bias.clone()
    net[4].weight.fill_(1.0 / h2)
    net[4].bias.zero_()
    diff = max(diff, rel(probe, net(rows).view(n)))
    net[4].weight.copy_(w3)
    net[4].bias.copy_(b3)
    if not diff <= 1e-5:
        sys.exit('%s: offloadd and PyTorch differ by %g' % (path, diff))
    return rows, diff

def main():
    torch.set_num_threads(1)
    net, din, h2 = load(sys.argv[1])
    total = int(sys.argv[2])
    out = []
    with torch.no_grad():
        rows, diff = check(sys.argv[3], net, din, h2) if len(sys.argv) > 3 else (torch.randn(16, din), -1)
        for b in (1, 4, 16):
            x = rows[:b].clone()
            iters = max(1, total // b)
            for _ in range(iters // 10):
                net(x)
            t0 = time.perf_counter_ns()
            for _ in range(iters):
                net(x)
            out.append({'candidates': b, 'ns_per_decision': (time.perf_counter_ns() - t0) / iters})
    print(json.dumps({'impl': 'pytorch', 'results': out, 'max_rel_diff': diff}))

main()
