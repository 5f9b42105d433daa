/* SPDX-License-Identifier: GPL-2.0 */
/* The batched forward's body, included by mlp_infer.c once per vector
 * width: VW floats in a vector, K(name) a name for this width. A layer's
 * width must be a multiple of VW. */

typedef float K(vec) __attribute__((vector_size(VW * sizeof(float))));
typedef int K(veci) __attribute__((vector_size(VW * sizeof(int))));
#define vec	K(vec)
#define veci	K(veci)

/* Unaligned, and no vector crosses a function boundary of the default ABI. */
#define load(p) ({ vec v_; memcpy(&v_, (p), sizeof(v_)); v_; })

/* y[r] = relu(b + x[r] . W) for R rows and W input-major [nin][nout]: B
 * vectors of outputs for every row at a time, R * B sums in flight, each
 * weight vector loaded once for the R rows. In a target with FMA,
 * x * w + a contracts to one. */
static inline __attribute__((always_inline))
void K(dense)(const float *w, const float *b, const float *x, int nin, int nout, float *y, int R,
	   int B)
{
	for (int o = 0; o < nout; o += B * VW) {
		vec a[OFF_MLP_ROWS][4];

		for (int r = 0; r < R; r++)
			for (int v = 0; v < B; v++)
				a[r][v] = load(b + o + v * VW);
		for (int i = 0; i < nin; i++) {
			const float *wi = w + (size_t)i * nout + o;
			vec wv[4];

			for (int v = 0; v < B; v++)
				wv[v] = load(wi + v * VW);
			for (int r = 0; r < R; r++) {
				float xr = x[r * nin + i];

				for (int v = 0; v < B; v++)
					a[r][v] += xr * wv[v];
			}
		}
		for (int r = 0; r < R; r++)
			for (int v = 0; v < B; v++) {
				veci bits = (veci)a[r][v];
				vec t = (vec)(bits & ~(bits >> 31));	/* ReLU: sign set, 0 */

				memcpy(y + r * nout + o + v * VW, &t, sizeof(t));
			}
	}
}

/* The lanes' sum four at a time: vector adds, not one scalar add a lane. */
static inline __attribute__((always_inline)) float K(hsum)(const vec *a)
{
	v4 h[VW / 4];

	memcpy(h, a, sizeof(*a));
	for (int k = 1; k < VW / 4; k++)
		h[0] += h[k];
	return (h[0][0] + h[0][1]) + (h[0][2] + h[0][3]);
}

/* Vectors of outputs per block: as many as divide the layer and keep R * B
 * sums within the registers a target has room for. */
static inline __attribute__((always_inline)) int K(block)(int nout, int R, int room)
{
	if (nout % (4 * VW) == 0 && R * 4 <= room)
		return 4;
	return nout % (2 * VW) == 0 && R * 2 <= room ? 2 : 1;
}

/* R rows from x into q; h1 and h2 hold their activations. */
static inline __attribute__((always_inline))
void K(rows)(const struct off_mlp *m, const float *x, float *q, float *h1, float *h2, int R, int room)
{
	switch (K(block)(m->h1, R, room)) {
	case 4: K(dense)(m->w1, m->b1, x, m->in, m->h1, h1, R, 4); break;
	case 2: K(dense)(m->w1, m->b1, x, m->in, m->h1, h1, R, 2); break;
	default: K(dense)(m->w1, m->b1, x, m->in, m->h1, h1, R, 1); break;
	}
	switch (K(block)(m->h2, R, room)) {
	case 4: K(dense)(m->w2, m->b2, h1, m->h1, m->h2, h2, R, 4); break;
	case 2: K(dense)(m->w2, m->b2, h1, m->h1, m->h2, h2, R, 2); break;
	default: K(dense)(m->w2, m->b2, h1, m->h1, m->h2, h2, R, 1); break;
	}
	for (int r = 0; r < R; r++) {
		vec a = {};

		for (int o = 0; o < m->h2; o += VW)
			a += load(h2 + r * m->h2 + o) * load(m->w3 + o);
		q[r] = m->b3[0] + K(hsum)(&a);
	}
}

/* Passes of `full` rows, then 4, 2, 1 as needed, each count a constant so
 * every pass is unrolled into registers; room: sums (vectors) the target's
 * registers hold besides the weights. */
static inline __attribute__((always_inline))
void K(batched)(const struct off_mlp *m, const float *x, int n, float *q, float *scratch, int full,
	     int room)
{
	float *h2 = scratch, *h1 = h2 + (size_t)OFF_MLP_ROWS * m->h2;
	int r = 0;

	for (; full == 8 && r + 8 <= n; r += 8)
		K(rows)(m, x + (size_t)r * m->in, q + r, h1, h2, 8, room);
	for (; full >= 4 && r + 4 <= n; r += 4)
		K(rows)(m, x + (size_t)r * m->in, q + r, h1, h2, 4, room);
	for (; r + 2 <= n; r += 2)
		K(rows)(m, x + (size_t)r * m->in, q + r, h1, h2, 2, room);
	if (r < n)
		K(rows)(m, x + (size_t)r * m->in, q + r, h1, h2, 1, room);
}

#undef load
#undef vec
#undef veci
#undef K
#undef VW
