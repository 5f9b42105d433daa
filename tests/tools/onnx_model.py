#!/usr/bin/python3
# Builds, in Python, the ONNX networks tests/integration/64-onnx.sh imports:
# the graph torch.onnx.export writes for an nn.Sequential of Linear and ReLU
# (Gemm + Relu, opset 14, IR 7), with offloadd's metadata_props, checked by
# onnx.checker; variants the importer must read or refuse; random feature
# rows; numpy's scores for a model; and the same network from PyTorch itself.
# Feature names come from `$TRAIN features`, the build's own table.
import os, re, subprocess, sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET, IR = 14, 7


def feature_names():
    out = subprocess.run([os.environ['TRAIN'], 'features'], check=True, capture_output=True,
                         text=True).stdout
    return re.findall(r'^\| \d+ \| `([a-z0-9_]+)`', out, re.M)


def floats(v):
    return ','.join('%.9g' % x for x in np.asarray(v, np.float32))


def norm(seed, n):
    r = np.random.default_rng(seed + 1000)
    return (r.uniform(-1, 1, n).astype(np.float32), r.uniform(0.5, 2, n).astype(np.float32))


def metadata(model, names, mean=None, scale=None):
    n = len(names)
    props = {'offloadd.features': ','.join(names),
             'offloadd.range_lo': floats([-10] * n), 'offloadd.range_hi': floats([10] * n),
             'offloadd.gate_margin_abs': '0', 'offloadd.gate_margin_rel': '0.1',
             'offloadd.seed': '7', 'offloadd.trained_on': 'tests/tools/onnx_model.py'}
    if mean is not None:
        props['offloadd.norm_mean'] = floats(mean)
        props['offloadd.norm_scale'] = floats(scale)
    helper.set_model_props(model, props)


def layers(seed, dims):
    r = np.random.default_rng(seed)
    out = []
    for i in range(len(dims) - 1):
        w = r.normal(0, np.sqrt(2 / dims[i]), (dims[i + 1], dims[i])).astype(np.float32)
        out.append((w, r.normal(0, 0.1, dims[i + 1]).astype(np.float32)))
    return out


def gemm_graph(params, variant, nin):
    """Nodes and initializers as torch names them: Linear k is '/k/Gemm'."""
    nodes, inits, cur = [], [], 'features'
    for k, (w, b) in enumerate(params):
        wn, bn, out = '%d.weight' % (2 * k), '%d.bias' % (2 * k), '/%d/Gemm_output_0' % (2 * k)
        if k == len(params) - 1:
            out = 'q'
        if variant == 'matmul':
            inits += [numpy_helper.from_array(w.T.copy(), wn), numpy_helper.from_array(b, bn)]
            mm = '/%d/MatMul_output_0' % (2 * k)
            nodes.append(helper.make_node('MatMul', [cur, wn], [mm], name='/%d/MatMul' % (2 * k)))
            nodes.append(helper.make_node('Add', [bn, mm], [out], name='/%d/Add' % (2 * k)))
        else:		# 'gemm0': weights [in, out], transB = 0
            t0 = variant == 'gemm0'
            inits += [numpy_helper.from_array(w.T.copy() if t0 else w, wn), numpy_helper.from_array(b, bn)]
            nodes.append(helper.make_node('Gemm', [cur, wn, bn], [out], name='/%d/Gemm' % (2 * k),
                                          alpha=1.0, beta=1.0, transB=0 if t0 else 1))
        cur = out
        if k < len(params) - 1:
            op = 'Sigmoid' if variant == 'unsupported' else 'Relu'
            cur = '/%d/%s_output_0' % (2 * k + 1, op)
            nodes.append(helper.make_node(op, [out], [cur], name='/%d/%s' % (2 * k + 1, op)))
    return nodes, inits


def build(path, variant, seed, h1, h2):
    names = feature_names()
    nin = len(names) - 1 if variant == 'narrow' else len(names)
    params = layers(seed, [nin, h1, h2, 1])
    if variant == 'hidden':		# layer 2 takes 60 inputs where layer 1 gives h1
        params[1] = (params[1][0][:, :60].copy(), params[1][1])
    nodes, inits = gemm_graph(params, variant, nin)
    mean, scale = norm(seed, len(names))
    if variant == 'subdiv':
        nodes[0].input[0] = '/norm/Div_output_0'
        nodes[:0] = [helper.make_node('Sub', ['features', 'mean'], ['/norm/Sub_output_0'], name='/norm/Sub'),
                     helper.make_node('Div', ['/norm/Sub_output_0', 'scale'], ['/norm/Div_output_0'],
                                      name='/norm/Div')]
        inits += [numpy_helper.from_array(mean, 'mean'), numpy_helper.from_array(scale, 'scale')]
    graph = helper.make_graph(
        nodes, 'torch_jit', [helper.make_tensor_value_info('features', TensorProto.FLOAT, ['batch', nin])],
        [helper.make_tensor_value_info('q', TensorProto.FLOAT, ['batch', 1])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)],
                              producer_name='pytorch', producer_version='1.13.0')
    model.ir_version = IR
    if variant == 'badname':
        names = names[:3] + ['wl_gpu_cores'] + names[4:]
    metadata(model, names, None if variant == 'subdiv' else mean, None if variant == 'subdiv' else scale)
    onnx.checker.check_model(model, full_check=variant not in ('hidden',))
    onnx.save(model, path)


def rows(n, seed):
    mean, scale = norm(seed, len(feature_names()))
    x = mean + scale * np.random.default_rng(seed).normal(0, 1.5, (n, len(mean)))
    for r in x.astype(np.float32):
        print(' '.join('%.9g' % v for v in r))


def numpy_scores(path, rows_path):
    """What the ONNX file computes, by numpy in float64, with the
    normalisation of its metadata_props or its Sub/Div nodes."""
    m = onnx.load(path)
    t = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in m.graph.initializer}
    props = {p.key: p.value for p in m.metadata_props}
    x = np.loadtxt(rows_path, dtype=np.float32, ndmin=2).astype(np.float64)
    if 'offloadd.norm_mean' in props:
        x = (x - np.array(props['offloadd.norm_mean'].split(','), np.float32)) / \
            np.array(props['offloadd.norm_scale'].split(','), np.float32)
    for n in m.graph.node:
        if n.op_type == 'Sub':
            x = x - t[n.input[1]]
        elif n.op_type == 'Div':
            x = x / t[n.input[1]]
        elif n.op_type == 'Gemm':
            trans = any(a.name == 'transB' and a.i == 1 for a in n.attribute)
            x = x @ (t[n.input[1]].T if trans else t[n.input[1]]) + t[n.input[2]]
        elif n.op_type == 'MatMul':
            x = x @ t[n.input[1]]
        elif n.op_type == 'Add':
            x = x + t[n.input[0] if n.input[0] in t else n.input[1]]
        elif n.op_type == 'Relu':
            x = np.maximum(x, 0)
        else:
            sys.exit('numpy_scores: unexpected op %s' % n.op_type)
    return x[:, 0]


def compare(expected, got_path, tol):
    got = np.loadtxt(got_path, ndmin=1)
    if got.shape != expected.shape:
        sys.exit('%d scores, %d expected' % (got.size, expected.size))
    diff = np.abs(got - expected).max()
    print('max |difference| %.3g over %d rows, scores %.3g..%.3g' % (diff, got.size, expected.min(),
                                                                   expected.max()))
    sys.exit(0 if diff <= tol else 1)


def torch_model(path, rows_path, scores_path, seed):
    """The network in PyTorch, normalising with buffers (so export writes
    Sub/Div), exported by torch.onnx.export; its own scores on the rows."""
    import torch
    names = feature_names()
    torch.manual_seed(seed)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            mean, scale = norm(seed, len(names))
            self.register_buffer('mean', torch.from_numpy(mean))
            self.register_buffer('scale', torch.from_numpy(scale))
            self.net = torch.nn.Sequential(torch.nn.Linear(len(names), 64), torch.nn.ReLU(),
                                           torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))

        def forward(self, x):
            return self.net((x - self.mean) / self.scale)

    net = Net().eval()
    x = torch.from_numpy(np.loadtxt(rows_path, dtype=np.float32, ndmin=2))
    torch.onnx.export(net, x[:4], path, input_names=['features'], output_names=['q'],
                      dynamic_axes={'features': {0: 'batch'}, 'q': {0: 'batch'}})
    model = onnx.load(path)
    metadata(model, names)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    with torch.no_grad():
        np.savetxt(scores_path, net(x).numpy()[:, 0].astype(np.float64), fmt='%.9g')


def torch_roundtrip(src_path, out_path):
    """The README's fine-tuning path, untrained: an exported model's
    weights into an nn.Sequential, torch.onnx.export, metadata copied."""
    import torch
    src = onnx.load(src_path)
    w = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in src.graph.initializer}
    dims = [w['fc1.weight'].shape[1], w['fc1.weight'].shape[0], w['fc2.weight'].shape[0], 1]
    net = torch.nn.Sequential(torch.nn.Linear(dims[0], dims[1]), torch.nn.ReLU(),
                              torch.nn.Linear(dims[1], dims[2]), torch.nn.ReLU(),
                              torch.nn.Linear(dims[2], 1))
    with torch.no_grad():
        for i, k in ((0, 'fc1'), (2, 'fc2'), (4, 'fc3')):
            net[i].weight.copy_(w[k + '.weight'])
            net[i].bias.copy_(w[k + '.bias'])
    torch.onnx.export(net, torch.zeros(1, dims[0]), out_path, input_names=['features'],
                      output_names=['correction'], dynamic_axes={'features': {0: 'batch'}})
    tuned = onnx.load(out_path)
    helper.set_model_props(tuned, {p.key: p.value for p in src.metadata_props})
    onnx.save(tuned, out_path)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'build':		# build OUT VARIANT SEED [H1 H2]
        h = [int(v) for v in args[3:5]] or [64, 32]
        build(args[0], args[1], int(args[2]), *h)
    elif cmd == 'check':		# check OUT.onnx: onnx.checker, full
        onnx.checker.check_model(onnx.load(args[0]), full_check=True)
    elif cmd == 'rows':		# rows N SEED
        rows(int(args[0]), int(args[1]))
    elif cmd == 'compare':		# compare MODEL.onnx ROWS SCORES TOL
        compare(numpy_scores(args[0], args[1]), args[2], float(args[3]))
    elif cmd == 'compare-file':	# compare-file EXPECTED SCORES TOL
        compare(np.loadtxt(args[0], ndmin=1), args[1], float(args[2]))
    elif cmd == 'torch':		# torch OUT.onnx ROWS SCORES SEED
        torch_model(args[0], args[1], args[2], int(args[3]))
    elif cmd == 'torch-roundtrip':	# torch-roundtrip EXPORTED.onnx OUT.onnx
        torch_roundtrip(args[0], args[1])
    else:
        sys.exit('unknown command ' + cmd)


main()
