// The default model's weights in libtorch (Debian libtorch-dev), one thread,
// inference mode: ns per decision for 1, 4 and 16 candidates. Prints JSON.
// With CHECK (infer_bench's rows and outputs), scores those rows, times on
// them, and fails unless the outputs agree within 1e-5.
#include <torch/torch.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

// Our outputs, then our probe's (the output layer replaced by the mean of
// the last hidden layer, as infer_bench does), against libtorch's on our
// rows; rows gets them, diff the largest relative difference.
static int check(const char *path, torch::nn::Sequential &net, int64_t din, int64_t h2,
		 torch::Tensor &rows, double &diff)
{
	std::ifstream cf(path, std::ios::binary);
	std::vector<char> c((std::istreambuf_iterator<char>(cf)), std::istreambuf_iterator<char>());
	int32_t n = 0, nf = 0;
	if (c.size() >= 8) {
		std::memcpy(&n, &c[0], 4);
		std::memcpy(&nf, &c[4], 4);
	}
	if (nf != din || n != 16 || c.size() != 8 + 4 * (size_t)n * (nf + 2)) {
		std::fprintf(stderr, "%s: not 16 rows of %lld features\n", path, (long long)din);
		return 1;
	}
	torch::NoGradGuard ng;
	auto l3 = net[4]->as<torch::nn::Linear>();
	auto w3 = l3->weight.clone(), b3 = l3->bias.clone();
	const float *f = reinterpret_cast<const float *>(&c[8]);
	rows = torch::from_blob((void *)f, {n, nf}).clone();
	auto ours = torch::from_blob((void *)(f + n * nf), {n}).clone();
	auto probe = torch::from_blob((void *)(f + n * nf + n), {n}).clone();
	auto rel = [](const torch::Tensor &a, const torch::Tensor &b) {
		return ((a - b).abs() / b.abs().clamp_min(1)).max().item<double>();
	};
	diff = rel(ours, net->forward(rows).view({n}));
	l3->weight.fill_(1.0 / h2);
	l3->bias.zero_();
	diff = std::max(diff, rel(probe, net->forward(rows).view({n})));
	l3->weight.copy_(w3);
	l3->bias.copy_(b3);
	if (!(diff <= 1e-5)) {
		std::fprintf(stderr, "%s: offloadd and libtorch differ by %g\n", path, diff);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 4) {
		std::fprintf(stderr, "usage: infer_torch MODEL ITERATIONS [CHECK]\n");
		return 1;
	}
	std::ifstream f(argv[1], std::ios::binary);
	std::vector<char> b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
	auto u32 = [&](size_t off) { uint32_t v; std::memcpy(&v, &b[off], 4); return (int64_t)v; };
	int64_t nf = u32(8), off = 12 + nf * 48, din = u32(off), h1 = u32(off + 4), h2 = u32(off + 8);
	const float *p = reinterpret_cast<const float *>(&b[off + 16 + 8 + 8 + 64 + 16 + 8]);
	auto take = [&](int64_t n) { auto t = torch::from_blob((void *)p, {n}).clone(); p += n; return t; };
	torch::set_num_threads(1);
	torch::nn::Sequential net(torch::nn::Linear(din, h1), torch::nn::ReLU(),
				  torch::nn::Linear(h1, h2), torch::nn::ReLU(), torch::nn::Linear(h2, 1));
	{
		torch::NoGradGuard ng;
		auto l1 = net[0]->as<torch::nn::Linear>(), l2 = net[2]->as<torch::nn::Linear>(),
		     l3 = net[4]->as<torch::nn::Linear>();
		l1->weight.copy_(take(din * h1).view({din, h1}).t()); l1->bias.copy_(take(h1));
		l2->weight.copy_(take(h1 * h2).view({h1, h2}).t()); l2->bias.copy_(take(h2));
		l3->weight.copy_(take(h2).view({1, h2})); l3->bias.copy_(take(1));
	}
	net->eval();
	torch::Tensor rows = torch::randn({16, din});
	double diff = -1;
	if (argc == 4 && check(argv[3], net, din, h2, rows, diff))
		return 1;
	torch::InferenceMode im;
	std::printf("{\"impl\":\"libtorch\",\"results\":[");
	const int batches[] = { 1, 4, 16 };
	for (int i = 0; i < 3; i++) {
		auto x = rows.narrow(0, 0, batches[i]).clone();
		long iters = std::atol(argv[2]) / batches[i];
		for (long k = 0; k < iters / 10; k++)
			net->forward(x);
		auto t0 = std::chrono::steady_clock::now();
		for (long k = 0; k < iters; k++)
			net->forward(x);
		double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
		std::printf("%s{\"candidates\":%d,\"ns_per_decision\":%.1f}", i ? "," : "", batches[i], ns / iters);
	}
	std::printf("],\"max_rel_diff\":%g}\n", diff);
	return 0;
}
